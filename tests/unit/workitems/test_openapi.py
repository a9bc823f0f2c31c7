"""The committed OpenAPI document is what the code generates (CI fails while it is stale)."""

from __future__ import annotations

import json

from scripts.openapi import DOCUMENT, generate


def test_the_committed_openapi_document_is_current() -> None:
    assert DOCUMENT.read_text() == generate(), "docs/openapi.json is stale: run `make openapi`"


def test_the_document_describes_every_route_with_our_errors_and_the_api_key() -> None:
    document = json.loads(generate())

    assert set(document["paths"]) == {"/workitems", "/workitems/{workitemId}"}
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
