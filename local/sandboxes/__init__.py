"""Local HTTP fakes of the outside systems (Salesforce, Dataverse, Automation Anywhere, Genesys Cloud)."""
