"""Pure rules: no AWS SDK, no HTTP client, no adapter."""
