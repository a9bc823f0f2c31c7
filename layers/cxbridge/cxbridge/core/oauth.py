"""Service tokens: fetched once, cached across invocations, renewed before they expire.

Each system issues tokens its own way, so a small ``TokenSource`` per system does the login and
``TokenCache`` does the rest: renewal a margin before expiry, ``invalidate`` after a 401, and a lock so
that concurrent callers cause one login, not one each (Automation Anywhere fails on parallel logins).
Login base URLs are constructor arguments, so tests point them at the local fakes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import requests

from cxbridge.core.http import DEFAULT_TIMEOUT_S, classify, json_body, new_session, parse_retry_after, transport_reason
from cxbridge.core.observability import logger
from cxbridge.core.upstream import UpstreamFailure, WriteStatus

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True, slots=True)
class AccessToken:
    """A token and how to present it; ``instance_url`` is where Salesforce wants the API calls sent."""

    value: str
    lifetime_s: float
    header_name: str = "Authorization"
    scheme: str | None = "Bearer"
    instance_url: str | None = None

    def headers(self) -> dict[str, str]:
        """The request header that carries the token."""
        return {self.header_name: f"{self.scheme} {self.value}" if self.scheme else self.value}

    def __repr__(self) -> str:
        return f"AccessToken(header_name={self.header_name!r}, lifetime_s={self.lifetime_s})"


class TokenSource(Protocol):
    """One system's login."""

    @property
    def system(self) -> str:
        """The system's name in log lines."""
        ...

    def fetch(self, session: requests.Session, timeout_s: float) -> AccessToken:
        """Log in and return a fresh token; raise ``UpstreamFailure`` when that fails."""
        ...


def _token_failure(response: requests.Response) -> UpstreamFailure:
    """Why a login failed. Bad credentials are TRANSIENT, not PERMANENT: the records are fine, and
    they will go through once the secret is fixed; the worker's circuit breaker stops the hammering."""
    status = classify(response)
    body = json_body(response)
    error = body.get("error") if isinstance(body, dict) else None
    reason = f"token:{error}" if isinstance(error, str) and error else f"token:{response.status_code}"
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    return UpstreamFailure(WriteStatus.TRANSIENT if status is WriteStatus.PERMANENT else status, reason, retry_after)


def post_for_token(
    system: str, session: requests.Session, url: str, timeout_s: float, field: str = "access_token", **kwargs: Any
) -> dict[str, Any]:
    """POST a login and return its JSON object, which must hold a non-empty ``field``, or raise ``UpstreamFailure``."""
    try:
        response = session.post(url, timeout=timeout_s, **kwargs)
    except requests.RequestException as exc:
        reason = transport_reason(exc)
        logger.warning("token request failed", extra={"system": system, "error": reason})
        raise UpstreamFailure(classify(exc), f"token:{reason}") from None
    logger.info("token request answered", extra={"system": system, "status": response.status_code})
    if not response.ok:
        raise _token_failure(response)
    body = json_body(response)
    if not isinstance(body, dict) or not isinstance(body.get(field), str) or not body[field]:
        raise UpstreamFailure(WriteStatus.TRANSIENT, "token:bad-response")
    return body


def token_lifetime(body: dict[str, Any], default_s: float) -> float:
    expires_in = body.get("expires_in")
    return float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else default_s


@dataclass(frozen=True, slots=True)
class _Cached:
    token: AccessToken
    renew_at: float


class TokenCache:
    """The current token of one source, shared by every request of the process.

    A token is renewed ``renew_margin_s`` before it expires (at most half its lifetime early, so a short
    token is not renewed on every call). Keep one instance per credential for the process's life.
    """

    def __init__(
        self,
        source: TokenSource,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        renew_margin_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._source = source
        self._session = session if session is not None else new_session(pool_size=1)
        self._timeout_s = timeout_s
        self._margin_s = renew_margin_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: _Cached | None = None

    def get(self) -> AccessToken:
        """The cached token, or a new one if it is missing or due for renewal."""
        cached = self._cached
        if cached is not None and self._clock() < cached.renew_at:
            return cached.token
        with self._lock:
            cached = self._cached  # another caller may have logged in while we waited for the lock
            if cached is not None and self._clock() < cached.renew_at:
                return cached.token
            token = self._source.fetch(self._session, self._timeout_s)
            early = min(self._margin_s, token.lifetime_s / 2)
            self._cached = _Cached(token, self._clock() + token.lifetime_s - early)
            return token

    def invalidate(self, stale: AccessToken | None = None) -> None:
        """Forget the token after a 401; with ``stale``, only if no other caller has renewed it already."""
        with self._lock:
            if self._cached is not None and (stale is None or self._cached.token is stale):
                self._cached = None
