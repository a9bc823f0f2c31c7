"""The API's documentation on the local stack: public (no token), from the template's own route auth."""

from __future__ import annotations

import json
from urllib.request import Request, urlopen

from scripts.openapi import DOCUMENT


def get(url: str) -> tuple[int, str, str]:
    with urlopen(Request(url, headers={"Accept": "*/*"}), timeout=30) as resp:  # noqa: S310 - 127.0.0.1 only
        return resp.status, resp.headers["Content-Type"], resp.read().decode()


def test_the_openapi_document_and_swagger_ui_need_no_token(local_stack: dict[str, str]) -> None:
    status, kind, body = get(local_stack["API"] + "/openapi.json")
    assert (status, kind) == (200, "application/json")
    document = json.loads(body)
    assert document == json.loads(DOCUMENT.read_text())
    assert {"/toil/report", "/bots/callback", "/genesys/workitems", "/docs"} <= set(document["paths"])

    status, kind, page = get(local_stack["API"] + "/docs")
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert 'SwaggerUIBundle({url: "openapi.json"' in page
