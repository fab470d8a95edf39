"""Interactions (I1-I5): handled phone calls, chats and emails logged as Salesforce Tasks."""
