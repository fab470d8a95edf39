"""Care data (customers, care cases, messages), the care events and calls, escalation to Salesforce."""
