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
