"""The ingestion routes in OpenAPI terms, built from the models their handlers validate with.

The ingest functions are plain handlers (no resolver, for cold start), so they have no generated
document; this adds their operations to the workitems API's, so that ``docs/openapi.json`` describes
every JSON route behind the API key and schemathesis fuzzes them all.
"""

from __future__ import annotations

import re
from typing import Any

from cxbridge.calls.event import EventKind
from cxbridge.calls.events import ROUTES, TOPIC_PREFIX
from cxbridge.calls.record import MergeOutcome
from cxbridge.core.identity import EVENTS_WRITE
from cxbridge.core.rest import OAUTH_SCHEME

REF = "#/components/schemas/{model}"
ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
ACCEPTED = {
    "title": "IngestAccepted",
    "type": "object",
    "required": ["status", "conversationId", "outcome"],
    "properties": {
        "status": {"const": "accepted"},
        "conversationId": {"type": "string"},
        "outcome": {"enum": [outcome.value for outcome in MergeOutcome]},
    },
}
ERRORS = {
    "401": "No valid access token with the events.write scope (API Gateway answers before any function runs).",
    "400": "A field is missing or invalid (each named in `errors`), or the envelope's topic is not this route's.",
    "413": "The body is over `MaxBodyBytes`.",
    "415": "The body is not JSON.",
    "503": "The call-record table could not be reached; retry after `Retry-After` seconds.",
}


def path_of(kind: EventKind) -> str:
    """The route of an event kind: ``customer.end`` → ``/genesys/conversations/customer-end``."""
    return f"/genesys/conversations/{kind.value.replace('.', '-')}"


def _envelope(kind: EventKind, body_ref: dict[str, str]) -> dict[str, Any]:
    suffixes = "|".join(re.escape(s) for s in ROUTES[kind].topic_suffixes)
    return {
        "title": "EventBridgeEnvelope",
        "type": "object",
        "required": ["detail"],
        "properties": {
            "detail-type": {"type": "string"},
            "source": {"type": "string"},
            "detail": {
                "type": "object",
                "required": ["topicName", "eventBody"],
                "properties": {
                    "topicName": {"type": "string", "pattern": f"^{re.escape(TOPIC_PREFIX)}[^.]+({suffixes})$"},
                    "eventBody": body_ref,
                },
            },
        },
    }


def _operation(kind: EventKind, schemas: dict[str, Any]) -> dict[str, Any]:
    model = ROUTES[kind].model
    schema = model.model_json_schema(ref_template=REF)
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    ref = {"$ref": REF.format(model=model.__name__)}
    body = {"anyOf": [ref, _envelope(kind, ref)]} if ROUTES[kind].topic_suffixes else ref
    responses: dict[str, Any] = {
        "202": {
            "description": "Stored, or recognised as a duplicate or an older event.",
            "content": {"application/json": {"schema": {"$ref": REF.format(model="IngestAccepted")}}},
        }
    }
    for status, description in ERRORS.items():
        responses[status] = {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}
    return {
        "operationId": f"ingest_{kind.value.replace('.', '_')}",
        "summary": f"A Genesys `{kind.value}` event: a bare eventBody"
        + (" or its EventBridge envelope" if ROUTES[kind].topic_suffixes else ""),
        "tags": ["ingestion"],
        "security": [{OAUTH_SCHEME: [EVENTS_WRITE]}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": responses,
    }


def add_ingest_routes(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the four ingestion operations and their schemas added."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["IngestAccepted"] = ACCEPTED
    paths = document.setdefault("paths", {})
    for kind in EventKind:
        paths[path_of(kind)] = {"post": _operation(kind, schemas)}
    return document
