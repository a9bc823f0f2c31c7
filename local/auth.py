"""The local stack's stand-in for Cognito and the API Gateway authorizer: the same trust model, on loopback.

``POST /oauth2/token`` answers as Cognito's token endpoint does for the client-credentials grant (HTTP
Basic ``client_id:client_secret``, ``grant_type=client_credentials``, optional ``scope``; omitted means
every scope of the client, unknown scopes are ignored) with a signed JWT access token carrying the claims
Cognito puts in one (``sub``, ``client_id``, ``scope``, ``token_use``, ``exp`` ...). Each route's check
is read from ``template.yaml``: a missing, bad or expired token, or one without any of the method's
scopes, is a 401 before any function runs, as API Gateway's Cognito authorizer answers; a valid one puts
its claims where API Gateway does, ``requestContext.authorizer.claims``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import jwt

from local.template import resource

ISSUER = "http://127.0.0.1/local-callers"
TOKEN_LIFETIME_S = 3600
# The app clients of the local stack: the template's Genesys client and two source systems (two tenants).
LOCAL_CLIENTS = {"genesys": "GenesysClient", "source-crm": "SourceSystemClient", "source-bpm": "SourceSystemClient"}


def client_secret(client_id: str) -> str:
    """The local (documented, not secret) client secret of a local client."""
    return f"local-{client_id}-secret"


def _scopes_of(logical_id: str) -> frozenset[str]:
    return frozenset(resource(logical_id)["Properties"]["AllowedOAuthScopes"])


def authorizer_context(claims: dict[str, Any]) -> dict[str, Any]:
    """``requestContext.authorizer`` as API Gateway's Cognito authorizer passes it: the claims, as strings."""
    return {"claims": {k: str(v) for k, v in claims.items()}}


def sample_authorizer(client_id: str) -> dict[str, Any]:
    """The authorizer context of a local client's token, for events built without the HTTP front."""
    scopes = " ".join(sorted(_scopes_of(LOCAL_CLIENTS[client_id])))
    return authorizer_context({"sub": client_id, "client_id": client_id, "token_use": "access", "scope": scopes})


class TokenError(ValueError):
    """A refused token request, with Cognito's OAuth error code."""

    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.status = status


@dataclass
class LocalAuthority:
    """Issues and checks the local callers' access tokens (a key made per process, never stored)."""

    clients: dict[str, frozenset[str]] = field(
        default_factory=lambda: {c: _scopes_of(logical_id) for c, logical_id in LOCAL_CLIENTS.items()}
    )
    key: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def issue(self, client_id: str, requested: str | None = None) -> str:
        """An access token for a known client, with the requested scopes it holds (all, if none asked)."""
        allowed = self.clients[client_id]
        scopes = allowed if requested is None else allowed & frozenset(requested.split())
        if requested is not None and not scopes:
            raise TokenError("invalid_scope")
        now = int(time.time())
        claims = {
            "sub": client_id,
            "client_id": client_id,
            "token_use": "access",
            "scope": " ".join(sorted(scopes)),
            "iss": ISSUER,
            "iat": now,
            "auth_time": now,
            "exp": now + TOKEN_LIFETIME_S,
            "jti": str(uuid.uuid4()),
            "version": 2,
        }
        return jwt.encode(claims, self.key, algorithm="HS256")

    def token_response(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        """The token endpoint: (status, JSON body) as Cognito answers."""
        try:
            client_id = self._authenticate(headers.get("authorization", ""))
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", errors="replace")).items()}
            if form.get("grant_type") != "client_credentials":
                raise TokenError("unsupported_grant_type")
            token = self.issue(client_id, form.get("scope"))
        except TokenError as exc:
            return exc.status, {"error": exc.code}
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_S}

    def _authenticate(self, authorization: str) -> str:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            raise TokenError("invalid_client", 401)
        try:
            client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise TokenError("invalid_client", 401) from None
        known = client_id in self.clients and secrets.compare_digest(secret, client_secret(client_id))
        if not known:
            raise TokenError("invalid_client", 401)
        return client_id

    def claims(self, authorization: str | None, scopes: frozenset[str]) -> dict[str, Any] | None:
        """The token's claims if it is valid and holds any of ``scopes``; None for a 401."""
        if not authorization:
            return None
        token = authorization.removeprefix("Bearer ").strip()
        try:
            claims: dict[str, Any] = jwt.decode(
                token, self.key, algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "client_id"]}
            )
        except jwt.PyJWTError:
            return None
        if claims.get("token_use") != "access" or not scopes & frozenset(str(claims.get("scope", "")).split()):
            return None
        return claims
