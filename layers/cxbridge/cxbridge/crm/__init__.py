"""Call outcomes into the CRM exactly once: the job outbox, the sync service and worker, the breaker, the
bot ledger and callback, and one module per sink (Salesforce, Dataverse, Automation Anywhere)."""
