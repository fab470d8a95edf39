"""Live chat and inbox to Salesforce: triggers (T1-T3), identification (M1-M4), update policies (M5),
creation through the field mappings (M6, F1, F2), owners (O1)."""
