"""API Gateway proxy events in, proxy responses out; the one place errors become status codes."""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any

from cxbridge.core.errors import FieldError, InvalidRequest, PayloadTooLarge, UnsupportedMediaType

if TYPE_CHECKING:
    from pydantic import ValidationError

    from cxbridge.core.errors import RequestRejected

_JSON_HEADERS = {"Content-Type": "application/json"}


def is_api_gateway_event(event: dict[str, Any]) -> bool:
    """True for an API Gateway (REST, proxy) event; EventBridge events have no ``requestContext``."""
    return "requestContext" in event and "httpMethod" in event


def header(event: dict[str, Any], name: str) -> str | None:
    headers = event.get("headers") or {}
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def require_json(event: dict[str, Any]) -> None:
    """415 (``UnsupportedMediaType``) unless the request says its body is JSON."""
    content_type = header(event, "content-type")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise UnsupportedMediaType(content_type[:100] if content_type else None)


def json_body(event: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """The request's JSON object; 415 if not JSON, 413 if over ``max_bytes``, 400 if not an object."""
    require_json(event)
    raw = event.get("body") or ""
    try:
        data = base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode()
    except (binascii.Error, ValueError):
        raise InvalidRequest("body is not valid base64", [FieldError("body", "invalid base64")]) from None
    if len(data) > max_bytes:
        raise PayloadTooLarge(max_bytes)
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f"line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "encoding"
        raise InvalidRequest("body is not valid JSON", [FieldError("body", f"invalid JSON at {where}")]) from None
    if not isinstance(body, dict):
        raise InvalidRequest("body must be a JSON object", [FieldError("body", "expected an object")])
    return body


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """Pydantic errors as dotted field paths and messages; input values are never echoed."""
    errors = []
    for err in exc.errors(include_input=False, include_url=False):
        path = ".".join(str(part) for part in err["loc"])
        full = f"{prefix}.{path}" if prefix and path else (prefix or path or "body")
        errors.append(FieldError(full, err["msg"]))
    return errors


def response(status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    """A proxy response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {**_JSON_HEADERS, **(headers or {})},
        "body": json.dumps(payload),
    }


def html_response(status: int, page: str) -> dict[str, Any]:
    """A proxy response with an HTML page (one that loads nothing from elsewhere)."""
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    }
    return {"statusCode": status, "headers": headers, "body": page}


def wants_html(event: dict[str, Any]) -> bool:
    """True when the caller asks for a page: ``Accept`` names ``text/html`` (as a browser's does)."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return "text/html" in str(headers.get("accept") or "")


def rejection(exc: RequestRejected) -> dict[str, Any]:
    """The 4xx response for a rejected request, listing each field at fault."""
    payload: dict[str, Any] = {"error": exc.reason, "message": exc.message}
    if exc.errors:
        payload["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    return response(exc.status, payload)
