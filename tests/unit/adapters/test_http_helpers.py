"""Retry-After parsing and the generic status classification."""

from __future__ import annotations

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from cxbridge.core.http import classify, parse_retry_after, request_not_sent
from cxbridge.core.upstream import WriteStatus

HTTP_DATE = "Wed, 21 Oct 2015 07:28:00 GMT"
HTTP_DATE_EPOCH = 1445412480.0


@pytest.mark.parametrize(
    ("header", "expected"),
    [("42", 42.0), (" 7 ", 7.0), ("1.5", 1.5), ("0", 0.0), ("-3", None), ("", None), (None, None), ("soon", None)],
)
def test_retry_after_in_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


@pytest.mark.parametrize("header", ["inf", "nan", "1e400"])
def test_retry_after_rejects_non_finite_numbers(header: str) -> None:
    assert parse_retry_after(header) is None


def test_retry_after_as_an_http_date() -> None:
    assert parse_retry_after(HTTP_DATE, now=lambda: HTTP_DATE_EPOCH - 30) == 30.0
    assert parse_retry_after(HTTP_DATE, now=lambda: HTTP_DATE_EPOCH + 30) == 0.0


def _response(status: int) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    return response


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, WriteStatus.WRITTEN),
        (204, WriteStatus.WRITTEN),
        (429, WriteStatus.THROTTLED),
        (503, WriteStatus.THROTTLED),
        (500, WriteStatus.TRANSIENT),
        (502, WriteStatus.TRANSIENT),
        (408, WriteStatus.TRANSIENT),
        (401, WriteStatus.TRANSIENT),
        (400, WriteStatus.PERMANENT),
        (404, WriteStatus.PERMANENT),
        (412, WriteStatus.PERMANENT),
    ],
)
def test_classify_status(status: int, expected: WriteStatus) -> None:
    assert classify(_response(status)) is expected


def test_classify_transport_errors_as_transient() -> None:
    assert classify(requests.ReadTimeout()) is WriteStatus.TRANSIENT
    assert classify(requests.ConnectionError()) is WriteStatus.TRANSIENT


def test_only_a_connection_never_made_counts_as_not_sent() -> None:
    refused = MaxRetryError(None, "/", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    assert request_not_sent(requests.ConnectTimeout())
    assert request_not_sent(requests.ConnectionError(refused))
    assert not request_not_sent(requests.ReadTimeout())
    assert not request_not_sent(requests.ConnectionError("Connection aborted."))
