"""The operator page (issue 17): what waits in the outbox, what died and why, recent events, the API budget,
the integrations and the Salesforce connection, with the same numbers as ``syncd status`` and the metrics.

:mod:`.snapshot` computes the numbers (``syncd status`` prints the same function's answer), :mod:`.budget`
keeps a day of API usage samples, :mod:`.routes` serves the JSON behind the management token and the page.
"""
