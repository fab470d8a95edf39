"""The Salesforce side of syncd: an async client (OAuth flows, session refresh, API usage) and batching."""
