"""The committed OpenAPI document is what the code generates (CI fails while it is stale)."""

from __future__ import annotations

import json
import re

from local.http_front import api_routes
from scripts.openapi import DOCUMENT, generate

INGEST_FUNCTIONS = {
    "IngestAcwFunction",
    "IngestCustomerEndFunction",
    "IngestUserEndFunction",
    "IngestCallCompletedFunction",
}


def test_the_committed_openapi_document_is_current() -> None:
    assert DOCUMENT.read_text() == generate(), "docs/openapi.json is stale: run `make openapi`"


def test_the_document_describes_every_route_with_our_errors_and_the_api_key() -> None:
    document = json.loads(generate())

    ingest = {r.path for r in api_routes() if r.function in INGEST_FUNCTIONS and r.method == "POST"}
    assert len(ingest) == 4
    assert set(document["paths"]) == {"/workitems", "/workitems/{workitemId}"} | ingest
    assert set(document["paths"]["/workitems"]) == {"get", "post"}
    assert set(document["paths"]["/workitems/{workitemId}"]) == {"get", "patch"}
    assert document["security"] == [{"api_key": []}]
    for path in document["paths"].values():
        for operation in path.values():
            assert "422" not in operation["responses"]
            assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorBody"
            }
    create = document["paths"]["/workitems"]["post"]["responses"]
    assert create["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/WorkitemView"}


def test_ingestion_routes_take_the_handlers_models_bare_or_in_their_eventbridge_envelope() -> None:
    paths = json.loads(generate())["paths"]

    acw = paths["/genesys/conversations/acw"]["post"]
    schema = acw["requestBody"]["content"]["application/json"]["schema"]
    bare, envelope = schema["anyOf"]
    assert bare == {"$ref": "#/components/schemas/AfterCallWorkEvent"}
    assert envelope["properties"]["detail"]["properties"]["eventBody"] == bare
    topic = envelope["properties"]["detail"]["properties"]["topicName"]["pattern"]
    assert re.fullmatch(topic, "v2.detail.events.conversation.0f1e2d3c.acw")
    assert not re.fullmatch(topic, "v2.detail.events.conversation.0f1e2d3c.user.end")
    assert set(acw["responses"]) == {"202", "400", "413", "415", "503"}
    completed = paths["/genesys/conversations/call-completed"]["post"]["requestBody"]["content"]["application/json"]
    assert completed["schema"] == {"$ref": "#/components/schemas/CallCompletedEvent"}  # no envelope for the webhook
