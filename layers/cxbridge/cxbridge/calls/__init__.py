"""Genesys conversation events in: the call record joined from them exactly once, and where it is kept."""
