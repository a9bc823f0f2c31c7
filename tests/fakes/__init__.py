"""In-memory fakes of the ports (same contracts as the real adapters), for tests and the bench."""
