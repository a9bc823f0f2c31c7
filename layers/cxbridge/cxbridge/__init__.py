"""cxbridge: Genesys Cloud CX events in, CRM records and workitem SLAs out."""
