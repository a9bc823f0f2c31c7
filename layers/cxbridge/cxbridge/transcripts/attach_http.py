"""One outbound request of a transcript attach adapter: an answer, or an ``UpstreamFailure``.

The bodies carry transcript text: they are never logged (``log_response`` writes the status and ids).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import requests

from cxbridge.core.http import classify, json_body, log_response, parse_retry_after, transport_reason
from cxbridge.core.observability import logger
from cxbridge.core.upstream import UpstreamFailure, WriteStatus

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping

    from cxbridge.core.http import AuthorizedHttp
    from cxbridge.core.oauth import AccessToken


def error_code(body: Any) -> str | None:
    """Salesforce's ``[{"errorCode"}]``, Dataverse's ``{"error": {"code"}}``, the Control Room's ``{"code"}``."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    code = body.get("errorCode") or body.get("code") or (error.get("code") if isinstance(error, dict) else None)
    return code if isinstance(code, str) and code else None


def send(
    http: AuthorizedHttp,
    method: str,
    url: Callable[[AccessToken], str],
    conversation_id: str,
    *,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
    accept: Collection[int] = (),
) -> requests.Response:
    """The answer when it is 2xx or in ``accept``; otherwise an ``UpstreamFailure`` with the vendor's code."""
    try:
        response = http.request(method, url, json=json, headers=headers)
    except requests.RequestException as exc:
        reason = transport_reason(exc)
        logger.warning("outbound call failed", extra={"system": http.system, "error": reason})
        raise UpstreamFailure(classify(exc), reason) from None
    log_response(http.system, response, conversationId=conversation_id)
    if response.ok or response.status_code in accept:
        return response
    code = error_code(json_body(response)) or f"http:{response.status_code}"
    status = classify(response)
    if code == "REQUEST_LIMIT_EXCEEDED":
        status = WriteStatus.THROTTLED
    raise UpstreamFailure(status, code, parse_retry_after(response.headers.get("Retry-After")))
