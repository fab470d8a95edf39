"""syncd's state in SQLite: the journal of accepted events, the outbox of Salesforce operations, dead
letters, and the care data the rules need. One database, so an event and its operations commit together."""
