"""Workitem SLA orchestration: capture from source systems, worktypes, the escalation ladder, the store,
Genesys workitem events and the sync-back to the source. Imports no other feature."""
