"""Outbound HTTP shared by the CRM, RPA and Genesys adapters.

The SQS queue is the retry mechanism, so nothing here retries, with one exception: a request whose
token the server calls expired is sent once more with a fresh token (``AuthorizedHttp``). Bodies may
hold customer data, so they are never logged; a log line carries the system, status code and ids.
"""

from __future__ import annotations

import math
import time
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError

from cxbridge.core.observability import logger
from cxbridge.core.upstream import WriteStatus

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from cxbridge.core.oauth import AccessToken, TokenCache

DEFAULT_TIMEOUT_S = 5.0
# Statuses a server uses to say "slow down" rather than "broken".
THROTTLE_STATUSES = frozenset({429, 503})
# Client-side statuses that a later attempt can succeed on: request timeout, Salesforce's Edge rate limit.
RETRYABLE_CLIENT_STATUSES = frozenset({408, 420})


def new_session(pool_size: int = 10) -> requests.Session:
    """A session whose pooled connections are reused across invocations, and which never retries by itself."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date; None if absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


def classify(outcome: requests.Response | requests.RequestException) -> WriteStatus:
    """The generic reading of an answer; adapters refine it with their vendor's error codes.

    Any transport error is TRANSIENT: a timeout or reset says nothing about whether the record is good.
    A 401 gets here only after the one re-authentication failed too: a credential or permission problem
    that an operator fixes, not a bad record, so it is TRANSIENT (the worker's circuit breaker stops the load).
    """
    if isinstance(outcome, requests.RequestException):
        return WriteStatus.TRANSIENT
    status = outcome.status_code
    if 200 <= status < 300:
        return WriteStatus.WRITTEN
    if status in THROTTLE_STATUSES:
        return WriteStatus.THROTTLED
    if status >= 500 or status == 401 or status in RETRYABLE_CLIENT_STATUSES:
        return WriteStatus.TRANSIENT
    return WriteStatus.PERMANENT


def transport_reason(exc: requests.RequestException) -> str:
    """A short, data-free tag for a transport error (the exception text may hold the URL and so a key)."""
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.ConnectionError):
        return "connection"
    return type(exc).__name__


def request_not_sent(exc: requests.RequestException) -> bool:
    """True only when no connection was made, so the server certainly never saw the request.

    A read timeout or a reset after sending leaves it unknown whether the server acted.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if exc.args else None
    return isinstance(getattr(cause, "reason", None), NewConnectionError)


def json_body(response: requests.Response) -> Any:
    """The parsed body, or None when it is empty or not JSON."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def log_response(system: str, response: requests.Response, **ids: Any) -> None:
    """One line per answer: the system, the status code and ids; never the body."""
    level = logger.info if response.ok else logger.warning
    level("outbound call answered", extra={"system": system, "status": response.status_code, **ids})


def _is_unauthorized(response: requests.Response) -> bool:
    return response.status_code == 401


class AuthorizedHttp:
    """Requests with a cached token, re-authenticating and re-sending once when the token has expired.

    One per adapter instance; the adapter instance lives as long as the process, so the session's
    connections and the token are reused across invocations.
    """

    def __init__(
        self,
        system: str,
        tokens: TokenCache,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        is_expired: Callable[[requests.Response], bool] = _is_unauthorized,
    ) -> None:
        self.system = system
        self.timeout_s = timeout_s
        self._tokens = tokens
        self._session = session if session is not None else new_session()
        self._is_expired = is_expired

    def request(
        self,
        method: str,
        url: Callable[[AccessToken], str],
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> requests.Response:
        """Send with the current token; the URL is built from the token (Salesforce's ``instance_url``).

        ``timeout_s`` shortens this request's timeout (a lookup answering within a deadline); never longer
        than the adapter's. Raises ``UpstreamFailure`` if no token can be had and ``requests.RequestException``
        on transport errors.
        """
        timeout = self.timeout_s if timeout_s is None else min(timeout_s, self.timeout_s)
        token = self._tokens.get()
        response = self._send(method, url(token), token, json, headers, timeout_s=timeout)
        if self._is_expired(response):
            log_response(self.system, response, reauth=True)
            self._tokens.invalidate(token)
            token = self._tokens.get()
            response = self._send(method, url(token), token, json, headers, timeout_s=timeout)
        return response

    def _send(
        self,
        method: str,
        url: str,
        token: AccessToken,
        json: Any,
        headers: Mapping[str, str] | None,
        *,
        timeout_s: float,
    ) -> requests.Response:
        all_headers = {**(headers or {}), **token.headers()}
        return self._session.request(method, url, json=json, headers=all_headers, timeout=timeout_s)
