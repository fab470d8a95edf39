"""F4: attachments of chats and care messages stored in Salesforce as Files on the record that carries the
conversation. ``options`` (the ``[files]`` section), ``rules`` (pure: keys and the outbox operations),
``store`` (the bytes, kept in the state database, not in outbox JSON), ``fetch`` (bytes from allowed URLs
only), ``sender`` (one request per file, sent once across retries and restarts)."""
