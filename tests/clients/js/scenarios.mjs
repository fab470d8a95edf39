// Drives a running fakeforce with the real jsforce client.
//
//   FAKEFORCE_URL=http://127.0.0.1:PORT FAKEFORCE_USERNAME=... FAKEFORCE_PASSWORD=... \
//   FAKEFORCE_CLIENT_ID=... FAKEFORCE_CLIENT_SECRET=... node scenarios.mjs <scenario>
//
// Prints one JSON object with what jsforce saw and exits 0; a failing jsforce call is reported as
// {error: {name, errorCode, message}} in the output, never as a crash. A non-zero exit means this
// script itself is broken. Run by tests/clients/test_jsforce.py, which checks the results against
// the server's store.
import jsforce from 'jsforce';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`environment variable ${name} is not set`);
  return value;
};

const URL_ = env('FAKEFORCE_URL').replace(/\/$/, '');
const USERNAME = env('FAKEFORCE_USERNAME');
const PASSWORD = env('FAKEFORCE_PASSWORD');
const CLIENT_ID = env('FAKEFORCE_CLIENT_ID');
const CLIENT_SECRET = env('FAKEFORCE_CLIENT_SECRET');
const VERSION = process.env.FAKEFORCE_API_VERSION || undefined; // jsforce's default (50.0) when unset
const CONTROL_TOKEN = process.env.FAKEFORCE_CONTROL_TOKEN || 'fakeforce-tests';
const REDIRECT_URI = 'http://localhost:1717/OauthRedirect';
const EXT_FIELD = process.env.FAKEFORCE_EXT_FIELD || 'Fakeforce_Key__c';

const errorInfo = (err) => ({
  name: err?.name ?? null,
  errorCode: err?.errorCode ?? null,
  message: err?.message ?? String(err),
  fields: err?.data?.fields ?? err?.fields ?? null,
});

// Runs one jsforce call; its result, or the error it raised, becomes one entry of the output.
const attempt = async (fn) => {
  try {
    const value = await fn();
    return { ok: true, value: value === undefined ? null : value };
  } catch (err) {
    return { ok: false, error: errorInfo(err) };
  }
};

const versionOpt = VERSION ? { version: VERSION } : {};

const oauth2 = () => new jsforce.OAuth2({
  clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, loginUrl: URL_, redirectUri: REDIRECT_URI,
});

async function soapLogin() {
  const conn = new jsforce.Connection({ loginUrl: URL_, ...versionOpt });
  const userInfo = await conn.login(USERNAME, PASSWORD);
  return { conn, userInfo };
}

const connInfo = (conn) => ({
  instanceUrl: conn.instanceUrl,
  accessToken: conn.accessToken,
  version: conn.version,
  sessionType: conn._sessionType,
});

const fieldSummary = (f) => ({
  name: f.name, type: f.type, autoNumber: f.autoNumber, nameField: f.nameField, createable: f.createable,
  updateable: f.updateable, nillable: f.nillable, externalId: f.externalId, idLookup: f.idLookup,
  length: f.length, defaultValue: f.defaultValue ?? null,
  picklistValues: (f.picklistValues || []).map((p) => p.value), referenceTo: f.referenceTo,
  relationshipName: f.relationshipName ?? null,
});

// ---------------------------------------------------------------------------------------------
const scenarios = {
  // (a) SOAP login, identity, then record CRUD through conn.sobject(...).
  async soap_crud() {
    const { conn, userInfo } = await soapLogin();
    const out = { userInfo, conn: connInfo(conn) };
    out.identity = await attempt(() => conn.identity());

    const contact = conn.sobject('Contact');
    const created = await attempt(() => contact.create({
      FirstName: 'Ada', LastName: 'Lovelace', Email: 'ada@example.com', Title: 'Analyst',
    }));
    out.contactCreate = created;
    const cid = created.ok ? created.value.id : null;
    out.contactRetrieve = await attempt(() => contact.retrieve(cid));
    out.contactRetrieveFields = await attempt(() => contact.retrieve(cid, { fields: ['LastName', 'Email'] }));
    out.contactUpdate = await attempt(() => contact.update({ Id: cid, Title: 'Countess', Phone: '+44 20 1234' }));
    out.contactAfterUpdate = await attempt(() => contact.retrieve(cid));
    out.contactUpsertById = await attempt(() => contact.upsert({ Id: cid, Department: 'Maths' }, 'Id'));
    out.contactUpsertNew = await attempt(() => contact.upsert({ [EXT_FIELD]: 'ext-1', LastName: 'Babbage' },
      EXT_FIELD));
    out.contactUpsertExisting = await attempt(() => contact.upsert({ [EXT_FIELD]: 'ext-1', FirstName: 'Charles' },
      EXT_FIELD));
    out.contactDestroy = await attempt(() => contact.destroy(cid));
    out.contactRetrieveDeleted = await attempt(() => contact.retrieve(cid));

    const account = conn.sobject('Account');
    const acc = await attempt(() => account.create({ Name: 'Analytical Engines Ltd', Industry: 'Technology' }));
    out.accountCreate = acc;
    const aid = acc.ok ? acc.value.id : null;
    out.accountUpdate = await attempt(() => account.update({ Id: aid, Name: 'Analytical Engines plc' }));
    out.accountRetrieve = await attempt(() => account.retrieve(aid));
    out.accountUpsertNew = await attempt(() => account.upsert({ [EXT_FIELD]: 'acc-1', Name: 'Difference Ltd' },
      EXT_FIELD));
    out.accountUpsertExisting = await attempt(() => account.upsert({ [EXT_FIELD]: 'acc-1', Phone: '555-0100' },
      EXT_FIELD));
    out.accountDestroy = await attempt(() => account.destroy(aid));
    out.accountRetrieveDeleted = await attempt(() => account.retrieve(aid));
    out.logout = await attempt(() => conn.logout());
    return out;
  },

  // (a) describe calls over a SOAP-login session.
  async describe() {
    const { conn } = await soapLogin();
    const out = {};
    const d = await attempt(() => conn.describe('Case'));
    out.case = d.ok ? {
      ok: true,
      name: d.value.name, label: d.value.label, keyPrefix: d.value.keyPrefix, custom: d.value.custom,
      createable: d.value.createable, queryable: d.value.queryable, urls: d.value.urls,
      fieldNames: d.value.fields.map((f) => f.name),
      fields: Object.fromEntries(d.value.fields
        .filter((f) => ['Id', 'CaseNumber', 'Status', 'ContactId', 'AccountId', 'SuppliedEmail', 'Subject',
          'IsDeleted', 'OwnerId'].includes(f.name))
        .map((f) => [f.name, fieldSummary(f)])),
      childRelationships: (d.value.childRelationships || []).map((r) => `${r.childSObject}.${r.field}`),
      recordTypeInfos: (d.value.recordTypeInfos || []).map((r) => ({ name: r.name, master: r.master })),
    } : d;
    // sobject(...).describe() goes through the same endpoint but a per-sobject cache.
    const cd = await attempt(() => conn.sobject('Contact').describe());
    out.contact = cd.ok ? { ok: true, name: cd.value.name, keyPrefix: cd.value.keyPrefix,
      fields: Object.fromEntries(cd.value.fields.filter((f) => ['LastName', 'Email', 'AccountId', 'Name']
        .includes(f.name)).map((f) => [f.name, fieldSummary(f)])) } : cd;
    const g = await attempt(() => conn.describeGlobal());
    out.global = g.ok ? {
      ok: true, encoding: g.value.encoding, maxBatchSize: g.value.maxBatchSize,
      sobjects: Object.fromEntries(g.value.sobjects.map((s) => [s.name, {
        keyPrefix: s.keyPrefix, label: s.label, createable: s.createable, queryable: s.queryable,
        custom: s.custom, urls: s.urls,
      }])),
    } : g;
    out.unknown = await attempt(() => conn.describe('No_Such_Object__c'));
    return out;
  },

  // (b) OAuth 2.0 username-password flow.
  async oauth_password() {
    const conn = new jsforce.Connection({
      oauth2: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, loginUrl: URL_ }, ...versionOpt,
    });
    const userInfo = await conn.login(USERNAME, PASSWORD);
    const out = { userInfo, conn: connInfo(conn), refreshToken: conn.refreshToken ?? null };
    out.identity = await attempt(() => conn.identity());
    out.create = await attempt(() => conn.sobject('Contact').create({ LastName: 'OAuth', Email: 'oauth@example.com' }));
    if (out.create.ok) out.retrieve = await attempt(() => conn.sobject('Contact').retrieve(out.create.value.id));
    return out;
  },

  // (c) wrong password through both login routes.
  async bad_password() {
    const soap = new jsforce.Connection({ loginUrl: URL_, ...versionOpt });
    const oauth = new jsforce.Connection({
      oauth2: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, loginUrl: URL_ }, ...versionOpt,
    });
    const badClient = new jsforce.Connection({
      oauth2: { clientId: 'not-a-client', clientSecret: 'nope', loginUrl: URL_ }, ...versionOpt,
    });
    return {
      soap: await attempt(() => soap.login(USERNAME, 'wrong-password')),
      soapUnknownUser: await attempt(() => soap.login('nobody@nowhere.invalid', PASSWORD)),
      oauth: await attempt(() => oauth.login(USERNAME, 'wrong-password')),
      oauthBadClient: await attempt(() => badClient.login(USERNAME, PASSWORD)),
      soapAccessToken: soap.accessToken ?? null,
      oauthAccessToken: oauth.accessToken ?? null,
    };
  },

  // (d) Salesforce error bodies as jsforce maps them.
  async errors() {
    const { conn } = await soapLogin();
    const contact = conn.sobject('Contact');
    const out = {};
    out.missingLastName = await attempt(() => contact.create({ FirstName: 'NoLast' }));
    out.badEmail = await attempt(() => contact.create({ LastName: 'Bad', Email: 'not-an-email' }));
    out.notFound = await attempt(() => contact.retrieve('003000000000001AAA'));
    out.badId = await attempt(() => contact.retrieve('not-an-id'));
    out.unknownField = await attempt(() => contact.create({ LastName: 'X', No_Such_Field__c: 'x' }));
    out.unknownObject = await attempt(() => conn.sobject('No_Such_Object__c').create({ Name: 'x' }));
    const made = await attempt(() => contact.create({ LastName: 'Valid' }));
    out.valid = made;
    if (made.ok) {
      out.updateBadEmail = await attempt(() => contact.update({ Id: made.value.id, Email: 'still bad' }));
      out.updateNotFound = await attempt(() => contact.update({ Id: '003000000000001AAA', LastName: 'Ghost' }));
      out.destroyNotFound = await attempt(() => contact.destroy('003000000000001AAA'));
    }
    return out;
  },

  // (e) web-server flow for a refresh token, then an automatic refresh after the server expires
  // every access token (DELETE /_fakeforce/sessions, called from here between two jsforce calls).
  async refresh() {
    const out = {};
    const consent = await fetch(`${URL_}/services/oauth2/authorize?` + new URLSearchParams({
      client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, response_type: 'code', state: 'xyz',
    }));
    out.consentStatus = consent.status;
    out.consentIsForm = /<form[^>]*method="post"/i.test(await consent.text());
    // jsforce builds the same authorize URL a browser would open.
    out.authorizationUrl = oauth2().getAuthorizationUrl({ state: 'xyz' });
    const decision = await fetch(`${URL_}/services/oauth2/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: CLIENT_ID, redirect_uri: REDIRECT_URI, response_type: 'code', state: 'xyz',
        username: USERNAME, password: PASSWORD, decision: 'allow',
      }),
    });
    out.decisionStatus = decision.status;
    const location = decision.headers.get('location');
    out.location = location;
    const callback = new URL(location);
    out.callbackState = callback.searchParams.get('state');
    const code = callback.searchParams.get('code');

    const oauth = oauth2();
    const tokens = await oauth.requestToken(code);
    out.tokens = {
      access_token: tokens.access_token, refresh_token: tokens.refresh_token, instance_url: tokens.instance_url,
      id: tokens.id, token_type: tokens.token_type, issued_at: tokens.issued_at, signature: tokens.signature,
      scope: tokens.scope,
    };
    out.codeReuse = await attempt(() => oauth2().requestToken(code));

    const conn = new jsforce.Connection({
      oauth2: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, loginUrl: URL_, redirectUri: REDIRECT_URI },
      instanceUrl: tokens.instance_url,
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      ...versionOpt,
    });
    out.refreshEvents = [];
    conn.on('refresh', (accessToken, res) => {
      out.refreshEvents.push({ accessToken, response: res ?? null });
    });
    out.before = await attempt(() => conn.sobject('Contact').create({ LastName: 'BeforeExpiry' }));

    const expire = await fetch(`${URL_}/_fakeforce/sessions`, {
      method: 'DELETE', headers: { 'X-Fakeforce-Token': CONTROL_TOKEN },
    });
    out.expireStatus = expire.status;

    out.after = await attempt(() => conn.sobject('Contact').create({ LastName: 'AfterExpiry' }));
    out.afterRetrieve = out.after.ok
      ? await attempt(() => conn.sobject('Contact').retrieve(out.after.value.id)) : null;
    out.accessTokenAfter = conn.accessToken;
    out.refreshTokenAfter = conn.refreshToken;
    out.identityAfter = await attempt(() => conn.identity());
    return out;
  },

  // A SOAP-login connection keeps username/password; after expiry jsforce logs in again by itself.
  async soap_relogin() {
    const { conn } = await soapLogin();
    const out = { firstToken: conn.accessToken, refreshEvents: [] };
    conn.on('refresh', (accessToken) => out.refreshEvents.push({ accessToken }));
    out.before = await attempt(() => conn.sobject('Account').create({ Name: 'Before' }));
    const expire = await fetch(`${URL_}/_fakeforce/sessions`, {
      method: 'DELETE', headers: { 'X-Fakeforce-Token': CONTROL_TOKEN },
    });
    out.expireStatus = expire.status;
    out.after = await attempt(() => conn.sobject('Account').create({ Name: 'After' }));
    out.lastToken = conn.accessToken;
    return out;
  },
};

// ---------------------------------------------------------------------------------------------
const name = process.argv[2];
const scenario = scenarios[name];
if (!scenario) {
  process.stderr.write(`unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(scenarios).join(', ')}\n`);
  process.exit(2);
}
let result;
try {
  result = await scenario();
} catch (err) {
  result = { error: errorInfo(err) };
}
process.stdout.write(JSON.stringify(result) + '\n');
