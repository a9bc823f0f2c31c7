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


def test_requests_for_different_functions_are_served_side_by_side() -> None:
    """API Gateway invokes concurrently: a slow ingest of one event type must not hold up another's, or
    a burst of events queues behind one function (``make faults`` lost two thirds of its rate so)."""
    both_inside = threading.Barrier(2, timeout=5)

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        both_inside.wait()  # raises BrokenBarrierError unless the other request is in at the same time
        return {"statusCode": 202, "body": "{}"}

    authority = LocalAuthority()
    bearer = f"Bearer {authority.issue('genesys')}"
    server = make_server("127.0.0.1", 0, authority, invoke)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    paths = ["/genesys/conversations/customer-end", "/genesys/conversations/user-end"]
    statuses: list[int] = []

    def post(path: str) -> None:
        request = Request(base + path, data=b"{}", headers={"Authorization": bearer})  # noqa: S310 - 127.0.0.1
        with urlopen(request, timeout=10) as resp:  # noqa: S310 - 127.0.0.1 only
            statuses.append(resp.status)

    try:
        threads = [threading.Thread(target=post, args=(p,)) for p in paths]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.shutdown()
    assert statuses == [202, 202]
