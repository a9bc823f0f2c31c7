"""Genesys Cloud lookups the CRM worker needs: a wrap-up code's name, cached.

Calls go to ``https://api.<region domain>`` with a client-credentials token from
``https://login.<region domain>``. A 429 is not waited out here: it becomes an ``UpstreamFailure``
carrying ``Retry-After``, and the queue redelivers the message after that long.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING
from urllib.parse import quote

import requests

from cxbridge.core.http import (
    DEFAULT_TIMEOUT_S,
    AuthorizedHttp,
    classify,
    json_body,
    log_response,
    parse_retry_after,
    transport_reason,
)
from cxbridge.core.observability import logger
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.genesys.ports import CustomerIdentity

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from cxbridge.core.oauth import TokenCache

SYSTEM = "genesys"
# The participant that is the customer ("customer"; "external" for some outbound and transfer legs:
# the purpose values of this API are unconfirmed, facts 2).
CUSTOMER_PURPOSES = frozenset({"customer", "external"})
SYSTEM_CODE_PREFIX = "ININ-"  # built-in wrap-up codes such as ININ-WRAP-UP-TIMEOUT have no routing entity


class WrapupCodeNotFound(LookupError):
    """Genesys has no wrap-up code with this id (deleted, or from another org)."""


class GenesysClient:
    """The few Platform API calls the worker makes."""

    def __init__(
        self,
        tokens: TokenCache,
        api_base_url: str,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._api = api_base_url.rstrip("/")
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)

    def get_wrapup_code_name(self, code_id: str) -> str:
        """``GET /api/v2/routing/wrapupcodes/{id}`` → ``name``.

        Raises ``WrapupCodeNotFound`` on 404 or 400 (no such code: asking again cannot help), and
        ``UpstreamFailure`` otherwise (429 with its ``Retry-After``).
        """
        url = f"{self._api}/api/v2/routing/wrapupcodes/{quote(code_id, safe='')}"
        try:
            response = self._http.request("GET", lambda _: url)
        except requests.RequestException as exc:
            reason = transport_reason(exc)
            logger.warning("outbound call failed", extra={"system": SYSTEM, "error": reason})
            raise UpstreamFailure(classify(exc), reason) from None
        log_response(SYSTEM, response, wrapupCodeId=code_id)
        body = json_body(response)
        if response.status_code in (400, 404):
            raise WrapupCodeNotFound(code_id)
        if not response.ok:
            code = body.get("code") if isinstance(body, dict) else None
            reason = code if isinstance(code, str) and code else f"http:{response.status_code}"
            raise UpstreamFailure(classify(response), reason, parse_retry_after(response.headers.get("Retry-After")))
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            raise UpstreamFailure(WriteStatus.TRANSIENT, "bad-response")
        return name

    def get_customer(self, conversation_id: str) -> CustomerIdentity | None:
        """``GET /api/v2/conversations/{id}`` (``conversation:communication:view``) → the customer participant's
        ``ani`` (else ``address``) and ``externalContactId`` (facts 2); None when the conversation or its
        customer is unknown. Raises ``UpstreamFailure`` when Genesys cannot answer now.
        """
        url = f"{self._api}/api/v2/conversations/{quote(conversation_id, safe='')}"
        try:
            response = self._http.request("GET", lambda _: url)
        except requests.RequestException as exc:
            raise UpstreamFailure(classify(exc), transport_reason(exc)) from None
        log_response(SYSTEM, response, conversationId=conversation_id)
        if response.status_code in (400, 404):
            return None
        if not response.ok:
            raise UpstreamFailure(classify(response), f"http:{response.status_code}")
        body = json_body(response)
        participants = body.get("participants") if isinstance(body, dict) else None
        for participant in participants if isinstance(participants, list) else []:
            if isinstance(participant, dict) and participant.get("purpose") in CUSTOMER_PURPOSES:
                address = participant.get("ani") or participant.get("address")
                contact = participant.get("externalContactId")
                return CustomerIdentity(
                    address if isinstance(address, str) and address else None,
                    contact if isinstance(contact, str) and contact else None,
                )
        return None


class TtlCache:
    """A small thread-safe map whose entries expire; the oldest entry goes when it is full."""

    def __init__(
        self, ttl_s: float = 3_600.0, max_entries: int = 1_024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, str]] = {}

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self._clock() >= entry[0]:
                del self._entries[key]
                return None
            return entry[1]

    def put(self, key: str, value: str) -> None:
        with self._lock:
            self._entries.pop(key, None)
            if len(self._entries) >= self._max:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = (self._clock() + self._ttl_s, value)


class WrapupCodeResolver:
    """The name a CRM should show for a wrap-up code id.

    In order: an operator's override; a system code (``ININ-*``) as it is, since it has no routing
    entity; the cached name; the name from Genesys, cached; for an unknown code, the id itself (cached
    too, so a deleted code costs one lookup per TTL). Names change rarely, so a TTL of an hour is plenty.
    """

    def __init__(
        self, client: GenesysClient, overrides: Mapping[str, str] | None = None, cache: TtlCache | None = None
    ) -> None:
        self._client = client
        self._overrides = dict(overrides or {})
        self._cache = cache if cache is not None else TtlCache()

    def resolve(self, code_id: str) -> str:
        """The display name; raises ``UpstreamFailure`` when Genesys cannot answer now."""
        override = self._overrides.get(code_id)
        if override is not None:
            return override
        if code_id.startswith(SYSTEM_CODE_PREFIX):
            return code_id
        cached = self._cache.get(code_id)
        if cached is not None:
            return cached
        try:
            name = self._client.get_wrapup_code_name(code_id)
        except WrapupCodeNotFound:
            name = code_id
        self._cache.put(code_id, name)
        return name
