"""Pydantic models of what crosses a boundary: Genesys events, call records, CRM-sync jobs."""
