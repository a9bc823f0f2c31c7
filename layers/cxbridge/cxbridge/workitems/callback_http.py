"""The sync-back call to a source system: ``POST <callbackUrl>`` with the workitem's final attributes.

One attempt per call (the queue retries); a 5 s timeout; no redirects (a redirect could point the
request anywhere); ``Idempotency-Key`` = workitem id + final status, so a receiver can drop a repeat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

from cxbridge.core.http import DEFAULT_TIMEOUT_S, classify, new_session, parse_retry_after, transport_reason
from cxbridge.core.observability import logger
from cxbridge.core.upstream import UpstreamFailure, WriteStatus

if TYPE_CHECKING:
    from collections.abc import Mapping

SYSTEM = "source-callback"


class HttpCallbackSender:
    """``CallbackSender`` over HTTPS."""

    def __init__(self, *, session: requests.Session | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._session = session if session is not None else new_session(pool_size=4)
        self._timeout_s = timeout_s

    def deliver(self, url: str, key: str, payload: Mapping[str, Any]) -> None:
        headers = {"Idempotency-Key": key, "User-Agent": "cxbridge-workitems"}
        try:
            response = self._session.post(
                url, json=dict(payload), headers=headers, timeout=self._timeout_s, allow_redirects=False
            )
        except requests.RequestException as exc:
            reason = transport_reason(exc)
            logger.warning("callback failed", extra={"system": SYSTEM, "error": reason, "key": key})
            raise UpstreamFailure(WriteStatus.TRANSIENT, reason) from None
        logger.info("callback answered", extra={"system": SYSTEM, "status": response.status_code, "key": key})
        if 200 <= response.status_code < 300:
            return
        status = classify(response)
        if 300 <= response.status_code < 400:
            status = WriteStatus.PERMANENT
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise UpstreamFailure(status, f"http:{response.status_code}", retry_after)
