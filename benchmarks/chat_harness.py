"""A live-chat deployment to measure (issue 12): the care harness's fakeforce in this process and syncd as
its own process, configured with every chat rule on (one automatic action on ``chat_ended``, identification
by email, ``fill_blanks``, owners by the agent's email), an org of visitors already known as Contacts, the
chat-ended events a chat platform sends, and the naive integration the benchmark compares syncd with.

Only what differs from a care deployment lives here: the org's seed, the ``[chat]`` section, the events,
the wait for chat jobs as well as the outbox, and reads of what landed in the org (no API request)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

import httpx

from daemon.chat import transcript
from daemon.chat.options import ChatOptions
from daemon.chat.store import ChatStore
from daemon.identify import soql_literal
from daemon.mapping import map_fields
from fakeforce.seed import load_seed
from fakeforce.server import FakeforceServer
from fakeforce.settings import OrgSettings

from care_harness import AGENT_EMAIL, CARE_SCHEMA, DAILY_API_LIMIT, CareDeployment, toml_section

AGENT = {"id": "agent-7", "name": "Alex Agent", "email": AGENT_EMAIL.upper()}
"""The chat platform's agent: its email differs in letter case from its User's (O1 is case-insensitive)."""
KEY_FIELD = "Syncd_Chat_Id__c"
"""``conversation_key_field``: the chat's key on its Task or Case (examples/care-schema.json has it)."""
KNOWN_DEPARTMENT = "Sales"
"""Seeded on every known Contact, whose Phone is left blank: ``fill_blanks`` must fill the Phone from the
pre-chat form and keep this Department although the form names another one."""
PRECHAT_DEPARTMENT, PRECHAT_PHONE = "Billing", "+49 30 1234567"


def chat_options(action: str) -> dict:
    """The ``[chat]`` section with every rule on; the default identification (M1: Contact by email)."""
    return {"update_policy": "fill_blanks", "batch_size": 100, "triggers": {"chat_ended": action}}


def chat_ended_event(chat_id: str, email: str, name: str, ended: datetime) -> dict:
    """An ``io.syncd.chat.ended.v1`` CloudEvent of realistic size: visitor, session, pre-chat form, a
    six-line transcript and the agent (F2)."""
    lines = [("visitor", name, "Hello, my last invoice shows a charge I do not recognise."),
             ("agent", AGENT["name"], "Sorry to hear that. Could you give me the invoice number?"),
             ("visitor", name, "It is INV-2026-0042, dated the first of the month."),
             ("agent", AGENT["name"], "Thank you. That charge is the annual renewal of your plan."),
             ("visitor", name, "I see. Can I switch to monthly billing from next month?"),
             ("agent", AGENT["name"], "Done: you will get a confirmation by email today.")]
    start = ended - timedelta(minutes=6)
    data = {
        "chatId": chat_id, "channel": "Web chat", "subject": "Billing question",
        "startTime": start.isoformat(), "endTime": ended.isoformat(),
        "visitor": {"id": f"v-{email}", "name": name, "email": email, "visits": 3, "chats": 1},
        "session": {"ip": "203.0.113.7", "country": "Germany", "city": "Berlin", "browser": "Firefox 126",
                    "operatingSystem": "Linux", "language": "de-DE", "timeZone": "Europe/Berlin",
                    "referrer": "https://www.example.com/pricing", "landingPage": "https://www.example.com/"},
        "preChat": {"phone": PRECHAT_PHONE, "department": PRECHAT_DEPARTMENT, "company": "Example GmbH",
                    "product": "Pro plan"},
        "customVariables": {"plan": "pro"},
        "requestingPage": "https://www.example.com/billing",
        "agent": AGENT, "wrapUp": "Switched to monthly billing",
        "transcript": [{"author": author, "role": role, "time": (start + timedelta(minutes=i)).isoformat(),
                        "text": text} for i, (role, author, text) in enumerate(lines)],
    }
    return {"specversion": "1.0", "id": f"evt-ended-{chat_id}", "source": "benchmark",
            "type": "io.syncd.chat.ended.v1", "data": data}


def visitor_name(email: str) -> str:
    return email.split("@", 1)[0].replace(".", " ").title()


@dataclass
class ChatDeployment(CareDeployment):
    """fakeforce with ``known`` visitors as Contacts (each under an Account) and a syncd whose
    ``chat_ended`` trigger does ``action`` (contact_task or contact_case)."""

    cases: int = 0
    known: list[str] = field(default_factory=list)
    action: str = "contact_task"
    agent_id: str = ""
    contact_ids: dict[str, str] = field(default_factory=dict)
    """known email -> its seeded Contact's Id."""
    account_ids: dict[str, str] = field(default_factory=dict)
    """known email -> its Contact's Account."""

    def start(self) -> "ChatDeployment":
        settings = OrgSettings(control_enabled=True, daily_api_limit=DAILY_API_LIMIT)
        self.fakeforce = FakeforceServer(settings=settings, schema_files=[CARE_SCHEMA]).start()
        accounts = max(1, len(self.known) // 10)
        refs = load_seed(self.org, {
            "users": [{"ref": "agent", "Username": AGENT_EMAIL, "LastName": "Agent", "Email": AGENT_EMAIL}],
            "records": {
                "Account": [{"ref": f"a{i}", "Name": f"Account {i}"} for i in range(accounts)],
                "Contact": [{"ref": f"c{i}", "LastName": visitor_name(email), "Email": email,
                             "Department": KNOWN_DEPARTMENT, "AccountId": f"@a{i % accounts}"}
                            for i, email in enumerate(self.known)]}})
        self.agent_id = refs["agent"]
        self.contact_ids = {email: refs[f"c{i}"] for i, email in enumerate(self.known)}
        self.account_ids = {email: refs[f"a{i % accounts}"] for i, email in enumerate(self.known)}
        self.start_syncd()
        return self

    def config_lines(self, port: int) -> list[str]:
        chat = chat_options(self.action)
        triggers = chat.pop("triggers")
        return (super().config_lines(port) + toml_section("chat", chat)
                + toml_section("chat.triggers", triggers))

    @property
    def attached(self) -> str:
        """The record each chat ends as: Case for contact_case, Task otherwise."""
        return "Case" if self.action == "contact_case" else "Task"

    # -- syncd's side ------------------------------------------------------------------------------
    def jobs(self) -> dict[str, int]:
        """Chat jobs by status (pending, done, dead), read from syncd's state database."""
        self.pending()  # opens the state database
        return ChatStore(self.state.conn).job_counts()

    def wait_settled(self, timeout: float, stall: float = 10.0) -> bool:
        """True once no chat job and no outbox operation is pending; False when the time is up or nothing
        moved (pending counts, API requests) for ``stall`` seconds, so a stuck run fails fast. A chat's
        jobs are queued in the transaction that accepts its event, and a job is done in the one that
        queues its operations: both counts never read zero too early."""
        deadline = time.monotonic() + timeout
        seen, moved = None, time.monotonic()
        while time.monotonic() < deadline:
            now = (self.jobs()["pending"], self.pending(), self.api_requests())
            if now[:2] == (0, 0):
                return True
            if now != seen:
                seen, moved = now, time.monotonic()
            elif time.monotonic() - moved > stall:
                return False
            time.sleep(0.02)
        return False

    def stuck(self, limit: int = 8) -> list[dict]:
        """The pending operations of the first ordering keys that still wait, as evidence of a stall."""
        self.pending()
        rows = self.state.conn.execute(
            "SELECT id, ordering_key, sobject, external_id, status, attempts, last_error_code, "
            "substr(payload, 1, 120) AS payload FROM outbox WHERE ordering_key IN (SELECT ordering_key FROM "
            "outbox WHERE status = 'pending' LIMIT ?) ORDER BY ordering_key, id", (limit,)).fetchall()
        return [dict(row) for row in rows]

    def dead(self) -> dict[str, int]:
        return {"jobs": self.jobs()["dead"], "operations": self.state.counts()["dead"]}

    # -- the org's side (Python API: no API request) -----------------------------------------------
    def by_key(self, sobject: str, field_name: str) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        with self.org.store.lock:
            for record in self.org.store.records(sobject):
                out.setdefault(str(record.get(field_name) or "").lower(), []).append(dict(record))
        return out

    def contacts_by_email(self) -> dict[str, list[dict]]:
        return self.by_key("Contact", "Email")

    def attached_by_chat(self) -> dict[str, list[dict]]:
        return self.by_key(self.attached, KEY_FIELD)


@dataclass
class Naive:
    """A one-request-per-operation integration (simple-salesforce style) with the same rules: per chat a
    look-up of the Contact by email, a create of the Contact when there is none, and a create of the Task
    or Case with the same mapped fields syncd sends. The agent's User is looked up once for the whole run
    (a naive integration would cache that much); the fill_blanks update of a known Contact is left out
    (generous to the baseline)."""

    deployment: ChatDeployment
    requests: int = 0
    created: Counter = field(default_factory=Counter)

    def run(self, events: list[dict]) -> float:
        """Seconds for all the events."""
        ff = self.deployment.fakeforce
        token = ff.fakeforce.sessions.issue(ff.org.admin_user_id, "fakeforce").token
        options = ChatOptions(**chat_options(self.deployment.action))
        attached = self.deployment.attached
        started = time.perf_counter()
        with httpx.Client(base_url=f"{ff.url}/services/data/v62.0", timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as api:
            owner = self._query(api, f"SELECT Id FROM User WHERE IsActive = true AND Email = "
                                     f"{soql_literal(AGENT['email'])} ORDER BY CreatedDate LIMIT 1")
            owner_id = owner[0]["Id"] if owner else None
            for event in events:
                data = event["data"]
                key = f"chat:{data['chatId']}"
                context = transcript.context("chat", key, data, options.description_limit)
                email = data["visitor"]["email"]
                found = self._query(api, f"SELECT Id, AccountId FROM Contact WHERE Email = {soql_literal(email)} "
                                         "ORDER BY CreatedDate LIMIT 1")
                if found:
                    contact_id, account_id = found[0]["Id"], found[0].get("AccountId")
                else:
                    fields = {**map_fields(options.mapping("Contact"), context), "OwnerId": owner_id}
                    contact_id, account_id = self._create(api, "Contact", fields), None
                fields = {**map_fields(options.mapping(attached), context), "OwnerId": owner_id, KEY_FIELD: key}
                if attached == "Case":
                    fields.update({"ContactId": contact_id, **({"AccountId": account_id} if account_id else {})})
                else:
                    fields["WhoId"] = contact_id
                self._create(api, attached, fields)
        return time.perf_counter() - started

    def _query(self, api: httpx.Client, soql: str) -> list[dict]:
        self.requests += 1
        answer = api.get("/query", params={"q": soql})
        assert answer.status_code == 200, answer.text
        return answer.json()["records"]

    def _create(self, api: httpx.Client, sobject: str, fields: dict) -> str:
        self.requests += 1
        answer = api.post(f"/sobjects/{quote(sobject)}", json={k: v for k, v in fields.items() if v is not None})
        assert answer.status_code == 201, answer.text
        self.created[sobject] += 1
        return answer.json()["id"]


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)
