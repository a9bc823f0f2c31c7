"""Post-call transcripts: Genesys STA transcript → redacted, readable note on the call's CRM record, once."""
