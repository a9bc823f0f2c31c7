"""The Genesys Cloud platform shared by features: regions, the OAuth login, the EventBridge envelope,
wrap-up codes."""
