"""The local HTTP front answers as API Gateway does: single and multi-value headers both reach the caller."""

from __future__ import annotations

import threading
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from local.auth import LocalAuthority
from local.http_front import make_server


def test_a_503s_retry_after_in_multi_value_headers_reaches_the_caller() -> None:
    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        return {
            "statusCode": 503,
            "body": '{"error": "unavailable"}',
            "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"Retry-After": ["5"], "Set-Cookie": ["a=1", "b=2"]},
        }

    authority = LocalAuthority()
    bearer = f"Bearer {authority.issue('source-crm')}"
    server = make_server("127.0.0.1", 0, authority, invoke)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/workitems"
        request = Request(
            url,
            data=b"{}",
            headers={"Authorization": bearer, "Content-Type": "application/json"},
        )
        try:
            urlopen(request, timeout=10)  # noqa: S310 - 127.0.0.1 only
        except HTTPError as err:
            status, headers = err.code, err.headers
    finally:
        server.shutdown()
    assert status == 503
    assert headers["Retry-After"] == "5"
    assert headers.get_all("Set-Cookie") == ["a=1", "b=2"]
