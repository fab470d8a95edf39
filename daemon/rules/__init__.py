"""The integration rules of RULES.md as pure functions: (state, event, config, clock) -> decisions."""
