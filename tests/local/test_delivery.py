"""``make faults`` and the demo deliver events as EventBridge does: what a loaded laptop's ingest fails to
answer is sent again, what it refuses is not."""

from __future__ import annotations

from email.message import Message
from typing import Any
from urllib.error import HTTPError, URLError

import pytest

from local import demo

headers: list[str] = []  # the Authorization header of each post, in turn


def answers(monkeypatch: pytest.MonkeyPatch, *replies: Exception | dict[str, Any]) -> list[bytes]:
    """``post`` gives ``replies`` in turn; returns the bodies it was sent."""
    sent: list[bytes] = []
    headers.clear()
    pending = list(replies)

    def post(_base: str, auth: str, _path: str, body: bytes) -> dict[str, Any]:
        sent.append(body)
        headers.append(auth)
        reply = pending.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    monkeypatch.setattr(demo, "post", post)
    monkeypatch.setattr("local.demo.time.sleep", lambda _s: None)
    return sent


def fixed_token() -> demo.Credentials:
    return demo.Credentials(lambda: "Bearer t")


def http_error(code: int) -> HTTPError:
    return HTTPError("http://127.0.0.1/genesys", code, "error", Message(), None)


def test_a_timeout_a_reset_and_a_502_are_delivered_again(monkeypatch: pytest.MonkeyPatch) -> None:
    replies = (TimeoutError("timed out"), URLError(ConnectionResetError()), http_error(502), {"outcome": "applied"})
    sent = answers(monkeypatch, *replies)
    assert demo.deliver("http://127.0.0.1", fixed_token(), "/genesys", b"{}") == ({"outcome": "applied"}, 3)
    assert sent == [b"{}"] * 4


def test_a_400_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = answers(monkeypatch, http_error(400))
    with pytest.raises(HTTPError):
        demo.deliver("http://127.0.0.1", fixed_token(), "/genesys", b"{}")
    assert len(sent) == 1


def test_an_ingest_that_never_answers_fails_the_run_after_the_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = answers(monkeypatch, *[TimeoutError("timed out")] * (demo.DELIVERY_RETRIES + 1))
    with pytest.raises(TimeoutError):
        demo.deliver("http://127.0.0.1", fixed_token(), "/genesys", b"{}")
    assert len(sent) == demo.DELIVERY_RETRIES + 1


def test_a_401_is_sent_again_at_once_with_a_renewed_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """A token expires after an hour; a longer run must not fail on it."""
    sent = answers(monkeypatch, http_error(401), {"outcome": "applied"})
    slept: list[float] = []
    monkeypatch.setattr("local.demo.time.sleep", slept.append)
    tokens = iter(["Bearer old", "Bearer new"])
    credentials = demo.Credentials(lambda: next(tokens))
    assert demo.deliver("http://127.0.0.1", credentials, "/genesys", b"{}") == ({"outcome": "applied"}, 1)
    assert headers == ["Bearer old", "Bearer new"]
    assert len(sent) == 2
    assert slept == []


def test_a_token_another_thread_renewed_is_not_renewed_again() -> None:
    issued: list[str] = []

    def issue() -> str:
        issued.append(f"Bearer {len(issued)}")
        return issued[-1]

    credentials = demo.Credentials(issue)
    credentials.renew("Bearer 0")
    credentials.renew("Bearer 0")  # a second thread's 401 for the token the first one already replaced
    assert credentials.header() == "Bearer 1"
    assert issued == ["Bearer 0", "Bearer 1"]
