"""The committed OpenAPI document is what the code generates (CI fails while it is stale), and it describes
every route of the template."""

from __future__ import annotations

import json
import re

from local.http_front import api_routes
from scripts.openapi import DOCUMENT, SERVED, generate

INGEST_FUNCTIONS = {
    "IngestAcwFunction",
    "IngestCustomerEndFunction",
    "IngestUserEndFunction",
    "IngestCallCompletedFunction",
}


def test_the_committed_and_the_served_openapi_documents_are_current() -> None:
    text = generate()
    assert DOCUMENT.read_text() == text, "docs/openapi.json is stale: run `make openapi`"
    assert SERVED.read_text() == text, "functions/api_docs/openapi.json is stale: run `make openapi`"


def test_the_document_describes_every_route_with_our_errors_and_its_scope() -> None:
    document = json.loads(generate())

    ingest = {r.path for r in api_routes() if r.function in INGEST_FUNCTIONS and r.method == "POST"}
    assert len(ingest) == 4
    routes = {(r.path, r.method.lower()) for r in api_routes()}
    assert {(p, m) for p, path in document["paths"].items() for m in path} == routes  # every route, no other
    assert set(document["paths"]["/workitems"]) == {"get", "post"}
    assert set(document["paths"]["/workitems/{workitemId}"]) == {"get", "patch"}
    flow = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/oauth2/token"
    declared = {(r.path, r.method.lower()): r.scopes for r in api_routes()}
    for route, path in document["paths"].items():
        for method, operation in path.items():
            scopes = declared[(route, method)]
            if scopes is None:  # no authorizer: the document asks for no token either
                assert operation["security"] == [], route
                continue
            # the document asks for the scope the template's authorizer checks on that method
            (requirement,) = operation["security"]
            assert set(requirement["oauth2"]) <= scopes
            assert "401" in operation["responses"]
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
    assert set(acw["responses"]) == {"202", "400", "401", "413", "415", "503"}
    completed = paths["/genesys/conversations/call-completed"]["post"]["requestBody"]["content"]["application/json"]
    assert completed["schema"] == {"$ref": "#/components/schemas/CallCompletedEvent"}  # no envelope for the webhook
