"""The chatbot and routing integration (B1-B4): synchronous calls a bot flow builder makes."""
