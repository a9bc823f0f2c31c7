"""Test helpers for the adapter tests: a hand-moved clock, an outcome builder, a callback receiver, a ledger
raced by another worker."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cxbridge.crm.outcome import CrmOutcome
from tests.fakes.ledger import InMemoryBotDeploymentLedger

# Long enough for any loopback answer, short enough that a held ("timed out") request costs little.
SHORT_TIMEOUT_S = 0.5


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def outcome(n: int = 1, **changes: Any) -> CrmOutcome:
    """A call outcome for conversation ``conv-<n>`` with every attribute set."""
    values: dict[str, Any] = {
        "conversation_id": f"conv-{n:04d}",
        "disposition": "Resolved",
        "wrapup_code_id": "wc-1",
        "user_id": "user-1",
        "queue_id": "queue-1",
        "media_type": "VOICE",
        "direction": "INBOUND",
        "talk_s": 251,
        "held_s": 45,
        "acw_s": 90,
        "handle_s": 386,
        "call_date": "2025-11-23",
        "disposition_time": 1763900402000,
    }
    return CrmOutcome(**{**values, **changes})


class CallbackReceiver:
    """Records the POSTs it gets (headers and raw body) and answers 204."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.calls.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/callback"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class AnotherWorkerDropsFirst(InMemoryBotDeploymentLedger):
    """Another worker read the same stale claim: it drops it and claims again just before this one drops it."""

    raced = False

    def release(self, conversation_id: str, claimed_at: float | None = None) -> None:
        if claimed_at is not None and not self.raced:
            self.raced = True
            super().release(conversation_id, claimed_at)
            assert super().claim(conversation_id, outcome(1).content) is None
        super().release(conversation_id, claimed_at)
