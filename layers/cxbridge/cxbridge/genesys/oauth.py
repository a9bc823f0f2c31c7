"""The Genesys Cloud login: client credentials for a region's (or the sandbox's) login host."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from cxbridge.core.oauth import AccessToken, post_for_token, token_lifetime

if TYPE_CHECKING:
    import requests

GENESYS_DEFAULT_LIFETIME_S = 86_400.0  # the OAuth client's default accessTokenValiditySeconds


@dataclass(frozen=True, slots=True)
class GenesysTokenSource:
    """Genesys Cloud client credentials: ``POST https://login.<region domain>/oauth/token`` with Basic auth."""

    login_base_url: str
    client_id: str
    client_secret: str
    default_lifetime_s: float = GENESYS_DEFAULT_LIFETIME_S
    system: ClassVar[str] = "genesys"

    def fetch(self, session: requests.Session, timeout_s: float) -> AccessToken:
        body = post_for_token(
            self.system,
            session,
            f"{self.login_base_url.rstrip('/')}/oauth/token",
            timeout_s,
            auth=(self.client_id, self.client_secret),
            data={"grant_type": "client_credentials"},
        )
        scheme = body.get("token_type")
        return AccessToken(
            body["access_token"],
            token_lifetime(body, self.default_lifetime_s),
            scheme=scheme if isinstance(scheme, str) and scheme else "Bearer",
        )
