"""Adapter tests: each adapter against its local fake over real HTTP on 127.0.0.1."""
