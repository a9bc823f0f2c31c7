"""boto3 clients, created once per process and keyed by service and region (never by class alone)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from cxbridge.core import wiring

# Short timeouts: a Lambda behind API Gateway has seconds, not minutes. Standard retry mode backs off
# with jitter on throttling before an error reaches us.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


@lru_cache(maxsize=16)
def client(service: str, region: str | None = None) -> Any:
    """A shared client for ``service``; reused across invocations for connection reuse."""
    return boto3.session.Session().client(service, region_name=region, config=_CONFIG)  # type: ignore[call-overload]


wiring.register(client.cache_clear)
