"""Toil measurement: the rule, the report and its sources (call records, Genesys analytics), publishing."""
