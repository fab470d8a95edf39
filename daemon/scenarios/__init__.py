"""The scenario framework: one YAML file a scenario (given, steps, then), run end to end against
fakeforce in-process (or, for what needs no fakeforce-only step, a real org), and a report by rule id."""
