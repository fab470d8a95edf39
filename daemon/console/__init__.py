"""The agent console's calls (T4, T5): who a chat's visitor is in Salesforce, and the action an agent
picks by hand for a chat whose trigger is ``manual``."""
