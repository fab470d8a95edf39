// Drives a running fakeforce's composite family, sObject Collections, Bulk API 2.0 and query locators
// with the real jsforce client.
//
//   FAKEFORCE_URL=http://127.0.0.1:PORT FAKEFORCE_USERNAME=... FAKEFORCE_PASSWORD=... \
//   FAKEFORCE_CLIENT_ID=... FAKEFORCE_CLIENT_SECRET=... node batch.mjs <scenario>
//
// Prints one JSON object with what jsforce returned and exits 0; a failing jsforce call is reported as
// {ok: false, error: {...}} in the output, never as a crash. A non-zero exit means this script itself is
// broken. Run by tests/clients/test_jsforce_bulk.py, which checks the results against the server's store.
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
const CONTROL_TOKEN = process.env.FAKEFORCE_CONTROL_TOKEN || 'fakeforce-tests';
const EXT_FIELD = process.env.FAKEFORCE_EXT_FIELD || 'Fakeforce_Key__c';
const POLL = { pollInterval: 50, pollTimeout: 20000 };

const errorInfo = (err) => ({
  name: err?.name ?? null,
  errorCode: err?.errorCode ?? null,
  message: err?.message ?? String(err),
  fields: err?.data?.fields ?? err?.fields ?? null,
});

const attempt = async (fn) => {
  try {
    const value = await fn();
    return { ok: true, value: value === undefined ? null : value };
  } catch (err) {
    return { ok: false, error: errorInfo(err) };
  }
};

async function login() {
  const conn = new jsforce.Connection({
    oauth2: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, loginUrl: URL_ },
  });
  await conn.login(USERNAME, PASSWORD);
  return conn;
}

const control = async (method, path) => {
  const res = await fetch(`${URL_}/_fakeforce${path}`, { method, headers: { 'X-Fakeforce-Token': CONTROL_TOKEN } });
  if (!res.ok) throw new Error(`control ${method} ${path} answered ${res.status}`);
  return res.status === 204 ? null : res.json();
};
const resetCounters = () => control('DELETE', '/counters');
const routeCounters = async () => (await control('GET', '/counters')).routes;

// A jsforce record stream (bulk2.query) collected into an array.
const collect = (stream) => new Promise((resolve, reject) => {
  const records = [];
  stream.on('record', (r) => records.push(r));
  stream.on('end', () => resolve(records));
  stream.on('error', reject);
});

// ---------------------------------------------------------------------------------------------
const scenarios = {
  // Multi-record DML: jsforce sends arrays through /composite/sobjects (API version >= 42).
  async collections() {
    const conn = await login();
    await resetCounters();
    const contact = conn.sobject('Contact');
    const out = { version: conn.version };
    out.create = await attempt(() => contact.create([
      { FirstName: 'Ada', LastName: 'Coll1', Email: 'ada@example.com' },
      { LastName: 'Coll2' },
      { FirstName: 'NoLastName' },
    ]));
    const ids = out.create.ok ? out.create.value.filter((r) => r.success).map((r) => r.id) : [];
    out.update = await attempt(() => contact.update([
      { Id: ids[0], Title: 'First' },
      { Id: ids[1], Title: 'Second' },
      { Id: '003000000000001AAA', Title: 'Ghost' },
    ]));
    out.retrieve = await attempt(() => contact.retrieve(ids));
    out.retrieveFields = await attempt(() => contact.retrieve([ids[0], '003000000000001AAA'],
      { fields: ['Id', 'LastName', 'Title'] }));
    out.createAllOrNone = await attempt(() => contact.create([
      { LastName: 'WouldBe' },
      { LastName: 'BadEmail', Email: 'not-an-email' },
    ], { allOrNone: true }));
    out.updateAllOrNone = await attempt(() => contact.update([
      { Id: ids[0], Title: 'Rolled back' },
      { Id: ids[1], LastName: null },
    ], { allOrNone: true }));
    out.upsert = await attempt(() => contact.upsert([
      { [EXT_FIELD]: 'K-1', LastName: 'UpsertedNew' },
      { [EXT_FIELD]: 'K-SEEDED', Title: 'Upserted existing' },
    ], EXT_FIELD));
    out.destroyAllOrNone = await attempt(() => contact.destroy([ids[0], '003000000000001AAA'], { allOrNone: true }));
    out.destroy = await attempt(() => contact.destroy(ids));
    out.ids = ids;
    out.counters = await routeCounters();
    return out;
  },

  // Bulk API 2.0 ingest: insert, upsert (external id), delete; then a bulk query.
  async bulk2() {
    const conn = await login();
    await resetCounters();
    const out = {};
    out.insert = await attempt(() => conn.bulk2.loadAndWaitForResults({
      object: 'Contact', operation: 'insert', ...POLL,
      input: [
        { FirstName: 'Bulk', LastName: 'One', Email: 'one@example.com', [EXT_FIELD]: 'B-1' },
        { FirstName: 'Bulk, Jr.', LastName: 'Two', Email: 'two@example.com', [EXT_FIELD]: 'B-2' },
        { FirstName: 'Bulk', LastName: 'Three', Email: 'not-an-email', [EXT_FIELD]: 'B-3' },
      ],
    }));
    out.upsert = await attempt(() => conn.bulk2.loadAndWaitForResults({
      object: 'Contact', operation: 'upsert', externalIdFieldName: EXT_FIELD, ...POLL,
      input: [
        // csv-stringify takes the CSV header from the first record: give every record the same keys.
        { [EXT_FIELD]: 'B-1', LastName: 'One', Title: 'Upserted' },
        { [EXT_FIELD]: 'B-4', LastName: 'Four', Title: 'New' },
      ],
    }));
    const inserted = out.insert.ok ? out.insert.value.successfulResults : [];
    const two = inserted.find((r) => r.LastName === 'Two');
    out.delete = await attempt(() => conn.bulk2.loadAndWaitForResults({
      object: 'Contact', operation: 'delete', ...POLL,
      input: [{ Id: two?.sf__Id }, { Id: '003000000000001AAA' }],
    }));
    out.query = await attempt(async () => collect(await conn.bulk2.query(
      `SELECT Id, LastName, Title, ${EXT_FIELD} FROM Contact ORDER BY ${EXT_FIELD}`, POLL)));
    out.counters = await routeCounters();
    return out;
  },

  // Bulk query over many rows: jsforce follows Sforce-Locator until "null".
  async bulk2_query_many() {
    const conn = await login();
    await resetCounters();
    const out = {};
    out.query = await attempt(async () => collect(await conn.bulk2.query(
      'SELECT Id, Name, Account.Name FROM Contact ORDER BY LastName', POLL)));
    out.bad = await attempt(async () => collect(await conn.bulk2.query('SELECT Nope__c FROM Contact', POLL)));
    out.counters = await routeCounters();
    return out;
  },

  // SOQL over more than 2000 rows: autoFetch follows nextRecordsUrl.
  async query_more() {
    const conn = await login();
    await resetCounters();
    const soql = 'SELECT Id, LastName FROM Contact ORDER BY LastName';
    const summary = (r) => ({ totalSize: r.totalSize, done: r.done, count: r.records.length,
      first: r.records[0]?.LastName ?? null, last: r.records.at(-1)?.LastName ?? null,
      ids: r.records.map((x) => x.Id) });
    const out = {};
    out.all = await attempt(async () => summary(await conn.query(soql).autoFetch(true).maxFetch(5000)));
    out.afterAll = await routeCounters();
    out.capped = await attempt(async () => {
      const r = await conn.query(soql).run({ autoFetch: true, maxFetch: 2100 });
      const s = summary(r);
      delete s.ids;
      return s;
    });
    out.firstPage = await attempt(async () => {
      const r = await conn.query(soql);
      return { totalSize: r.totalSize, done: r.done, count: r.records.length, nextRecordsUrl: r.nextRecordsUrl };
    });
    out.counters = await routeCounters();
    return out;
  },

  // /composite with references, all-or-none rollback; /composite/batch and /composite/tree.
  async composite() {
    const conn = await login();
    await resetCounters();
    const base = `/services/data/v${conn.version}`;
    const out = { version: conn.version };
    out.refs = await attempt(() => conn.requestPost(`${base}/composite`, {
      allOrNone: true,
      compositeRequest: [
        { method: 'POST', url: `${base}/sobjects/Account`, referenceId: 'acc', body: { Name: 'JS Composite' } },
        { method: 'POST', url: `${base}/sobjects/Contact`, referenceId: 'con',
          body: { LastName: 'Referenced', AccountId: '@{acc.id}' } },
        { method: 'GET', url: `${base}/sobjects/Contact/@{con.id}?fields=Id,AccountId`, referenceId: 'get' },
        { method: 'GET', url: `${base}/query?q=${encodeURIComponent("SELECT Id, (SELECT Id FROM Contacts) FROM Account WHERE Name = 'JS Composite'")}`,
          referenceId: 'q' },
        { method: 'PATCH', url: `${base}/sobjects/Contact/@{q.records[0].Contacts.records[0].Id}`, referenceId: 'upd',
          body: { Title: 'Found via @{acc.id}' } },
      ],
    }));
    out.rollback = await attempt(() => conn.requestPost(`${base}/composite`, {
      allOrNone: true,
      compositeRequest: [
        { method: 'POST', url: `${base}/sobjects/Account`, referenceId: 'acc', body: { Name: 'JS Doomed' } },
        { method: 'POST', url: `${base}/sobjects/Contact`, referenceId: 'bad',
          body: { FirstName: 'NoLastName', AccountId: '@{acc.id}' } },
        { method: 'POST', url: `${base}/sobjects/Contact`, referenceId: 'later', body: { LastName: 'Later' } },
      ],
    }));
    out.badReference = await attempt(() => conn.requestPost(`${base}/composite`, {
      compositeRequest: [
        { method: 'GET', url: `${base}/sobjects/Account/@{nope.id}`, referenceId: 'x' },
      ],
    }));
    out.batch = await attempt(() => conn.requestPost(`${base}/composite/batch`, {
      haltOnError: true,
      batchRequests: [
        { method: 'POST', url: `v${conn.version}/sobjects/Account`, richInput: { Name: 'JS Batch' } },
        { method: 'GET', url: `v${conn.version}/sobjects/Account/001000000000001AAA` },
        { method: 'POST', url: `v${conn.version}/sobjects/Account`, richInput: { Name: 'JS Never' } },
      ],
    }));
    out.tree = await attempt(() => conn.requestPost(`${base}/composite/tree/Account`, {
      records: [{
        attributes: { type: 'Account', referenceId: 'root' }, Name: 'JS Tree',
        Contacts: { records: [{ attributes: { type: 'Contact', referenceId: 'kid' }, LastName: 'TreeKid' }] },
      }],
    }));
    out.counters = await routeCounters();
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
