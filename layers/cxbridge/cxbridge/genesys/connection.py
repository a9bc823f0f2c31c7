"""One Genesys Cloud login per process: the OAuth client from its secret, the region's hosts, a token cache.

Every feature that calls the Platform API (wrap-up codes for the CRM worker and the toil report, Task
Management for workitems, analytics for toil) builds its client from a ``GenesysConnection``, so the
secret's format, the region's hosts and the token handling are written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cxbridge.core.oauth import TokenCache
from cxbridge.genesys.oauth import GenesysTokenSource
from cxbridge.genesys.regions import region_domain


@dataclass(frozen=True, slots=True)
class GenesysConnection:
    """A logged-in Genesys org: the token cache and the API base URL the clients call."""

    tokens: TokenCache
    api_url: str


def client_credentials(secret: Any) -> tuple[str, str]:
    """The Genesys secret, ``{"client_id", "client_secret"}`` (the same secret for every function)."""
    if isinstance(secret, dict):
        client_id, client_secret = secret.get("client_id"), secret.get("client_secret")
        if isinstance(client_id, str) and client_id and isinstance(client_secret, str) and client_secret:
            return client_id, client_secret
    raise ValueError("the Genesys secret must be a JSON object with client_id and client_secret")


def connect(secret: Any, *, region: str, base_url: str | None, timeout_s: float) -> GenesysConnection:
    """The region's login and API hosts, or ``base_url`` for both (the local sandbox, tests)."""
    client_id, client_secret = client_credentials(secret)
    if base_url:
        login_url = api_url = base_url
    else:
        domain = region_domain(region)
        login_url, api_url = f"https://login.{domain}", f"https://api.{domain}"
    tokens = TokenCache(GenesysTokenSource(login_url, client_id, client_secret), timeout_s=timeout_s)
    return GenesysConnection(tokens, api_url)
