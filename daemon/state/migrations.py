"""Schema versions of the state database, oldest first; a database is at PRAGMA user_version."""

MIGRATIONS: list[str] = [
    # 1: the journal, the outbox (with dead letters as a status), key/value facts.
    """
    CREATE TABLE events (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        type TEXT NOT NULL,
        time TEXT,
        subject TEXT,
        data TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL REFERENCES events(id),
        ordering_key TEXT NOT NULL,
        op TEXT NOT NULL,
        sobject TEXT NOT NULL,
        external_id_field TEXT NOT NULL,
        external_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead', 'dropped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        last_error TEXT,
        last_error_code TEXT,
        record_id TEXT,
        created_at TEXT NOT NULL,
        finished_at TEXT
    );
    CREATE INDEX outbox_ready ON outbox(status, next_attempt_at);
    CREATE INDEX outbox_key ON outbox(ordering_key, status, id);
    CREATE TABLE facts (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
    # 2: the care data the rules need: customers (with their Contact link), care cases, messages.
    """
    CREATE TABLE customers (
        id TEXT PRIMARY KEY,
        platform TEXT,
        name TEXT,
        email TEXT,
        data TEXT NOT NULL DEFAULT '{}',
        contact_id TEXT,
        linked_at TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE care_cases (
        id TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL REFERENCES customers(id),
        profile_id TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        closed_at TEXT,
        assignee TEXT,
        sf_case_id TEXT,
        sf_case_number TEXT,
        escalated_at TEXT,
        escalated_by TEXT
    );
    CREATE INDEX care_cases_pair ON care_cases(customer_id, profile_id, created_at);
    CREATE TABLE care_case_numbers (
        pair TEXT PRIMARY KEY,
        last INTEGER NOT NULL
    );
    CREATE TABLE messages (
        platform TEXT NOT NULL DEFAULT '',
        platform_id TEXT NOT NULL,
        case_id TEXT NOT NULL REFERENCES care_cases(id),
        direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        author TEXT NOT NULL DEFAULT '{}',
        time TEXT NOT NULL,
        text TEXT NOT NULL DEFAULT '',
        attachments TEXT NOT NULL DEFAULT '[]',
        seq INTEGER NOT NULL,
        PRIMARY KEY (platform, platform_id)
    );
    CREATE INDEX messages_case ON messages(case_id, time, seq)
    """,
]

MIGRATIONS.append(
    # 3: an outbox whose pick does not grow with its size. ``outbox_keys`` holds, per ordering key with
    # pending work, its head (the oldest pending operation) and when that head is due; triggers keep it
    # true whatever code changes the outbox. The sender reads due keys from its index, then each key's
    # pending rows from ``outbox_key``: cost by the batch, not by the rows waiting or done.
    # care_cases.sf_status_*: the Case status syncd last set (P3), so repeated messages do not re-send it.
    # messages_seq: a message's sequence number is MAX(seq) + 1, which scanned every message without it.
    """
    CREATE TABLE outbox_keys (
        ordering_key TEXT PRIMARY KEY,
        head_id INTEGER NOT NULL,
        next_attempt_at REAL NOT NULL
    );
    CREATE INDEX outbox_keys_due ON outbox_keys(next_attempt_at, head_id);
    INSERT INTO outbox_keys(ordering_key, head_id, next_attempt_at)
        SELECT o.ordering_key, o.id, o.next_attempt_at FROM outbox o
        WHERE o.status = 'pending' AND o.id = (SELECT MIN(p.id) FROM outbox p
                                               WHERE p.ordering_key = o.ordering_key AND p.status = 'pending');
    DROP INDEX outbox_ready;
    CREATE INDEX outbox_pending ON outbox(id) WHERE status = 'pending';
    CREATE INDEX outbox_finished ON outbox(status, finished_at);
    CREATE TRIGGER outbox_keys_insert AFTER INSERT ON outbox WHEN NEW.status = 'pending'
    BEGIN
        INSERT INTO outbox_keys(ordering_key, head_id, next_attempt_at)
            VALUES (NEW.ordering_key, NEW.id, NEW.next_attempt_at) ON CONFLICT(ordering_key) DO NOTHING;
    END;
    CREATE TRIGGER outbox_keys_update AFTER UPDATE OF status, next_attempt_at ON outbox
        WHEN OLD.status = 'pending' OR NEW.status = 'pending'
    BEGIN
        DELETE FROM outbox_keys WHERE ordering_key = NEW.ordering_key;
        INSERT INTO outbox_keys(ordering_key, head_id, next_attempt_at)
            SELECT ordering_key, id, next_attempt_at FROM outbox
            WHERE ordering_key = NEW.ordering_key AND status = 'pending' ORDER BY id LIMIT 1;
    END;
    CREATE TRIGGER outbox_keys_delete AFTER DELETE ON outbox WHEN OLD.status = 'pending'
    BEGIN
        DELETE FROM outbox_keys WHERE ordering_key = OLD.ordering_key;
        INSERT INTO outbox_keys(ordering_key, head_id, next_attempt_at)
            SELECT ordering_key, id, next_attempt_at FROM outbox
            WHERE ordering_key = OLD.ordering_key AND status = 'pending' ORDER BY id LIMIT 1;
    END;
    CREATE INDEX messages_seq ON messages(seq);
    ALTER TABLE care_cases ADD COLUMN sf_status_set TEXT;
    ALTER TABLE care_cases ADD COLUMN sf_status_set_at TEXT
    """)

MIGRATIONS.append(
    # 4: live chat and inbox. ``chats``: each chat's data merged from its events and what identification
    # found; ``chat_jobs``: the work a trigger queued, unique per (chat, stage) so a redelivered trigger is
    # one job; ``sf_users``: O1's cache of agent emails to active Users (a miss is cached too).
    """
    CREATE TABLE chats (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        identity TEXT,
        person_done INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE chat_jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_key TEXT NOT NULL REFERENCES chats(key),
        stage TEXT NOT NULL,
        action TEXT NOT NULL,
        event_id TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        last_error TEXT,
        last_error_code TEXT,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        UNIQUE (chat_key, stage)
    );
    CREATE INDEX chat_jobs_due ON chat_jobs(next_attempt_at) WHERE status = 'pending';
    CREATE INDEX outbox_record ON outbox(sobject, external_id_field, external_id);
    CREATE TABLE sf_users (
        email TEXT PRIMARY KEY,
        user_id TEXT,
        fetched_at REAL NOT NULL
    )
    """)

MIGRATIONS.append(
    # 5: the chatbot (B1, B4). ``bot_requests``: a create's answer by its Idempotency-Key (status NULL while
    # in flight or when the outcome is unknown), so a retried bot action never creates a second record;
    # ``bot_routes``: the routing lookup's cache, one answer per visitor identity and field list.
    """
    CREATE TABLE bot_requests (
        key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        status INTEGER,
        answer TEXT,
        created_at REAL NOT NULL
    );
    CREATE INDEX bot_requests_created ON bot_requests(created_at);
    CREATE TABLE bot_routes (
        key TEXT PRIMARY KEY,
        found INTEGER NOT NULL,
        answer TEXT NOT NULL,
        fetched_at REAL NOT NULL
    );
    CREATE INDEX bot_routes_fetched ON bot_routes(fetched_at)
    """)

MIGRATIONS.append(
    # 6: interactions (I1-I5). ``interactions``: the Task (and Account, Case, contacts) syncd logged for each
    # interaction; ``interaction_jobs``: interactions that arrived as events, one row per interaction, merged
    # when it arrives again (``revision`` counts arrivals, so a newer one is never marked done by an older run).
    """
    CREATE TABLE interactions (
        key TEXT PRIMARY KEY,
        task_id TEXT NOT NULL,
        account_id TEXT,
        case_id TEXT,
        contacts TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE interaction_jobs (
        key TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        event_id TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
        revision INTEGER NOT NULL DEFAULT 1,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        last_error TEXT,
        last_error_code TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT
    );
    CREATE INDEX interaction_jobs_due ON interaction_jobs(next_attempt_at) WHERE status = 'pending'
    """)

MIGRATIONS.append(
    # 7: the agent console (T4). ``console_visitors``: recognise answers by visitor, aged on syncd's clock;
    # ``console_picks``: the one action an agent picked per chat ('pending' while its person record is being
    # written, 'done' with the answer once it is).
    """
    CREATE TABLE console_visitors (
        key TEXT PRIMARY KEY,
        found TEXT NOT NULL,
        answer TEXT NOT NULL,
        fetched_at REAL NOT NULL
    );
    CREATE TABLE console_picks (
        chat_key TEXT PRIMARY KEY,
        action TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'done')),
        answer TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """)

MIGRATIONS.append(
    # 8: files of chats and care messages (F4). ``files``: each file's bytes under its key (the external id
    # of its ContentVersion), kept out of outbox JSON; ``sent_at``: a create was sent (its reply may have been
    # lost), so the next attempt first asks Salesforce by the key; ``record_id``: what Salesforce created.
    """
    CREATE TABLE files (
        key TEXT PRIMARY KEY,
        data BLOB,
        size INTEGER,
        sha256 TEXT,
        source TEXT NOT NULL,
        sent_at TEXT,
        record_id TEXT,
        created_at TEXT NOT NULL
    )
    """)
