"""Powertools REST resolvers with validation, our error bodies, and the OpenAPI document they describe.

The one place a resolver's exceptions become status codes: a request that fails validation is a 400
naming each field (Powertools would answer 422), a typed ``RequestRejected`` keeps its status, a
``TransientFailure`` is a 503 with ``Retry-After``, and anything else is a 500 that says nothing about
the input. Input values are never echoed.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict

from cxbridge.core import apigw
from cxbridge.core.errors import RequestRejected, TransientFailure, UnsupportedMediaType
from cxbridge.core.identity import SCOPES
from cxbridge.core.observability import logger, metrics

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from aws_lambda_powertools.event_handler.openapi.models import OAuth2
    from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse


class ErrorItem(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer of the API."""

    model_config = ConfigDict(defer_build=True)

    error: str
    message: str
    errors: list[ErrorItem] | None = None


OAUTH_SCHEME = "oauth2"
# Relative: the local stack serves it on the API's host; deployed, it is the stack's TokenUrl output.
TOKEN_URL = "/oauth2/token"  # noqa: S105 - an address, not a secret
_DESCRIPTIONS = {
    400: "The request does not match the schema; `errors` names each field.",
    401: "No valid access token with the route's scope (API Gateway answers before any function runs).",
    404: "No such resource.",
    409: "The request conflicts with the resource's state.",
    415: "The body is not JSON.",
    502: "Genesys Cloud refused the request because of our configuration.",
    503: "Try again after `Retry-After` seconds.",
}


def requires(scope: str) -> list[dict[str, list[str]]]:
    """An operation's ``security``: an access token holding ``scope``."""
    return [{OAUTH_SCHEME: [scope]}]


def oauth_scheme() -> OAuth2:
    """The callers' OAuth 2.0 client-credentials flow and its scopes."""
    # Powertools' OpenAPI models (~60 ms of pydantic builds) serve the document only, not validation.
    from aws_lambda_powertools.event_handler.openapi.models import (  # noqa: PLC0415
        OAuth2,
        OAuthFlowClientCredentials,
        OAuthFlows,
    )

    flow = OAuthFlowClientCredentials(tokenUrl=TOKEN_URL, scopes=dict(SCOPES))
    return OAuth2(flows=OAuthFlows(clientCredentials=flow), description="Cognito app client credentials")


def error_responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI ``responses`` entries for our error answers."""
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {content_types.APPLICATION_JSON: {"model": ErrorBody}},
        }
        for status in statuses
    }


def _error(
    status: int,
    error: str,
    message: str,
    fields: Sequence[tuple[str, str]] = (),
    headers: dict[str, str] | None = None,
) -> Response[str]:
    body: dict[str, Any] = {"error": error, "message": message}
    if fields:
        body["errors"] = [{"field": f, "message": m} for f, m in fields]
    return Response(status, content_types.APPLICATION_JSON, json.dumps(body), headers=headers)


def _field(err: Mapping[str, Any], union_tags: frozenset[str]) -> str:
    """The field an error is about, as the client wrote it: ``("body", "sla", "dueAt")`` → ``sla.dueAt``,
    ``("query", "status")`` → ``status``; a body that is not JSON → ``body``. In a tagged union (the PATCH
    body) pydantic puts the tag in the path (``update.priority``): it is dropped, and a bad or missing tag
    is reported on the discriminator itself (``action``)."""
    if err.get("type") == "json_invalid":
        return "body"
    if str(err.get("type", "")).startswith("union_tag"):
        return str(err.get("ctx", {}).get("discriminator", "body")).strip("'")
    parts = [str(p) for p in err.get("loc", ())]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:]
    if parts and parts[0] in union_tags:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _message(err: Mapping[str, Any]) -> str:
    """Pydantic's message, except for a bad union tag, whose message would repeat the input."""
    if str(err.get("type", "")).startswith("union_tag"):
        return f"expected one of {err.get('ctx', {}).get('expected_tags', 'the documented values')}"
    return str(err.get("msg", "invalid"))


def _invalid(union_tags: frozenset[str]) -> Callable[[RequestValidationError], Response[str]]:
    def handle(exc: RequestValidationError) -> Response[str]:
        fields = [(_field(err, union_tags), _message(err)) for err in exc.errors()]
        metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
        logger.warning("request rejected", extra={"status": 400, "fields": [f for f, _ in fields]})
        return _error(400, "invalid_request", "the request does not match the schema", fields)

    return handle


def _media(_: RequestUnsupportedContentType) -> Response[str]:
    return _error(415, "unsupported_media_type", "Content-Type must be application/json")


def _refused(exc: RequestRejected) -> Response[str]:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    logger.warning("request rejected", extra={"status": exc.status, "fields": [e.field for e in exc.errors]})
    return _error(exc.status, exc.reason, exc.message, [(e.field, e.message) for e in exc.errors])


def _later(exc: TransientFailure) -> Response[str]:
    wait = getattr(exc, "retry_after_s", None) or 1.0
    logger.warning("transient failure, caller should retry", extra={"reason": str(exc)})
    return _error(503, "unavailable", "try again", headers={"Retry-After": str(math.ceil(wait))})


def _bug(_: Exception) -> Response[str]:
    logger.exception("unexpected error")
    return _error(500, "internal", "unexpected error")


def refuse_non_json(event: dict[str, Any]) -> dict[str, Any] | None:
    """415 for a body that is not JSON, before the resolver tries to parse it as a form (it would fail
    with a 500 on a malformed multipart type); None to go on."""
    if not event.get("body"):
        return None
    try:
        apigw.require_json(event)
    except UnsupportedMediaType as exc:
        metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
        return apigw.rejection(exc)
    return None  # JSON (well-formed or not): the resolver's own validation answers


def resolver(union_tags: frozenset[str] = frozenset()) -> APIGatewayRestResolver:
    """A validating REST resolver whose errors are our JSON bodies; ``union_tags`` are the tags of tagged
    union bodies, left out of field names."""
    app = APIGatewayRestResolver(enable_validation=True)
    app.exception_handler(RequestValidationError)(_invalid(union_tags))
    app.exception_handler(RequestUnsupportedContentType)(_media)
    app.exception_handler(RequestRejected)(_refused)
    app.exception_handler(TransientFailure)(_later)
    app.exception_handler(Exception)(_bug)
    return app


@lru_cache(maxsize=4)
def openapi_document(app: APIGatewayRestResolver, title: str, version: str, description: str) -> dict[str, Any]:
    """The resolver's OpenAPI document, with our 400 instead of Powertools' 422 and the OAuth 2.0 scheme."""
    raw = app.get_openapi_json_schema(
        title=title,
        version=version,
        description=description,
        security_schemes={OAUTH_SCHEME: oauth_scheme()},
    )
    document: dict[str, Any] = json.loads(raw)
    for path in document.get("paths", {}).values():
        for operation in path.values():
            operation.get("responses", {}).pop("422", None)
    schemas = document.get("components", {}).get("schemas", {})
    text = json.dumps(document.get("paths", {}))
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        if f"#/components/schemas/{unused}" not in text:
            schemas.pop(unused, None)
    return document
