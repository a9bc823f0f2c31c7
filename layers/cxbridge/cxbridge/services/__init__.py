"""Use cases: join the domain rules to the adapters through the ports in ``ports``."""
