"""Adapters to the outside world, each behind a port of ``cxbridge.services.ports``."""
