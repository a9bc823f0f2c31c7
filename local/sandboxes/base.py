"""What every local HTTP fake shares: a threaded server on 127.0.0.1, routing, knobs and fault injection.

A fake answers with the vendor's real request and response shapes; its behaviour under trouble is
set with knobs, from Python (``configure``) or over HTTP (``POST /__sandbox/config`` with a JSON
object), and ``GET /__sandbox/state`` shows what it holds. Faults are drawn from a seeded
``random.Random`` (``rng``), so a run with the same seed and the same requests sees the same faults.

Fault knobs apply to API routes only, never to logins or ``/__sandbox`` routes, and are drawn before
the token is checked. A "timeout" is a request that is never processed and never answered: the
server holds it for ``hang_s`` (or until ``close``), long past any client timeout.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import random
import re
import socket
import threading
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Self
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from email.message import Message
    from types import TracebackType


# The credentials every fake accepts unless told otherwise; well known, like the fakes themselves.
SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_SECRET = "sandbox-secret"  # noqa: S105 - a fake's published credential, not a secret


@dataclass(frozen=True)
class Request:
    """One request as a route handler sees it; ``params`` are the route pattern's named groups (raw)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The body as JSON; raises ``ValueError`` if it is not."""
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        """The body as ``application/x-www-form-urlencoded`` (the last value of a repeated name)."""
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}

    def bearer(self) -> str | None:
        """The token of an ``Authorization: <scheme> <token>`` header, whatever the scheme's case."""
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass(frozen=True)
class Reply:
    """An answer: a status, a JSON body (None for an empty body) and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


RouteKind = Literal["api", "token", "control"]


class Route(NamedTuple):
    """``api`` routes are counted and subject to faults, ``token`` routes are counted, ``control`` neither."""

    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Callable[[Request], Reply]
    kind: RouteKind = "api"


@dataclass
class Knobs:
    """Behaviour under trouble, common to every fake. Ratios are probabilities per API request."""

    throttle_ratio: float = 0.0
    fail_ratio: float = 0.0
    timeout_ratio: float = 0.0
    hang_s: float = 30.0
    expire_tokens_after: int | None = None  # a token answers this many API requests, then 401

    def __post_init__(self) -> None:
        ratios = (self.throttle_ratio, self.fail_ratio, self.timeout_ratio)
        if any(not 0.0 <= r <= 1.0 for r in ratios) or sum(ratios) > 1.0:
            raise ValueError("ratios must lie in [0, 1] and add up to at most 1")
        if self.expire_tokens_after is not None and self.expire_tokens_after < 0:
            raise ValueError("expire_tokens_after must not be negative")


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sandbox: SandboxServer[Any]) -> None:
        self.sandbox = sandbox
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real services allow
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait for a delayed ACK
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, parts.path, parse_qs(parts.query), self.headers, body)
        reply = self.server.sandbox.dispatch(request)
        if reply is None:
            self.close_connection = True
            return
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if payload:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:  # the client gave up on us
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the local stack read ``state()``, not access logs."""


class SandboxServer[K: Knobs](ABC):
    """A fake's server: started on construction, stopped by ``close`` or leaving a ``with`` block.

    A subclass sets up its own state before calling ``super().__init__``, which starts serving.
    """

    def __init__(self, knobs: K, *, seed: int = 0, host: str = "127.0.0.1", port: int = 0) -> None:
        self.knobs = knobs
        self.lock = threading.RLock()
        self.rng = random.Random(seed)  # noqa: S311 - reproducible faults and ids, not secrets
        self._requests: Counter[str] = Counter()
        self._token_uses: dict[str, int] = {}
        self._issued = 0
        self._closing = threading.Event()
        self._routes = [*self._control_routes(), *self.api_routes()]
        self._httpd = _HttpServer((host, port), self)
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = f"http://{bound_host!s}:{bound_port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=type(self).__name__, daemon=True
        )
        self._thread.start()

    # ---- what a fake defines ----------------------------------------------------------------------

    @abstractmethod
    def api_routes(self) -> Sequence[Route]:
        """The vendor's endpoints."""

    @abstractmethod
    def throttle_reply(self) -> Reply:
        """The vendor's "slow down" answer."""

    @abstractmethod
    def fail_reply(self) -> Reply:
        """The vendor's internal-error answer."""

    @abstractmethod
    def extra_state(self) -> dict[str, Any]:
        """What the fake stores, for ``state()``."""

    def not_found(self, request: Request) -> Reply:
        """The answer for a path no route matches."""
        return Reply(404, {"message": f"no route for {request.method} {request.path}"})

    # ---- public -----------------------------------------------------------------------------------

    def configure(self, **changes: Any) -> None:
        """Set knobs by name; an unknown name or a bad value raises ``ValueError`` (a wrong type ``TypeError``)."""
        names = {f.name for f in dataclasses.fields(self.knobs)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown knobs: {sorted(unknown)}")
        with self.lock:
            self.knobs = dataclasses.replace(self.knobs, **changes)

    def state(self) -> dict[str, Any]:
        """Request counts per route, knobs and stored data, as JSON-ready values."""
        with self.lock:
            return {
                "requests": dict(self._requests),
                "knobs": dataclasses.asdict(self.knobs),
                "tokens_issued": self._issued,
                **self.extra_state(),
            }

    def requests(self, route: str) -> int:
        """How many requests reached a route."""
        with self.lock:
            return self._requests[route]

    def close(self) -> None:
        """Stop serving, wake held requests and drop open connections."""
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._httpd.connections_lock:
            connections = list(self._httpd.connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._thread.join()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- for subclasses ---------------------------------------------------------------------------

    def issue_token(self, prefix: str = "sandbox-token-") -> str:
        """A new access token (deterministic: a counter, not randomness)."""
        with self.lock:
            self._issued += 1
            token = f"{prefix}{self._issued}"
            self._token_uses[token] = 0
            return token

    def token_valid(self, token: str | None) -> bool:
        """True for a token we issued that has answered fewer than ``expire_tokens_after`` API requests."""
        with self.lock:
            if token is None or token not in self._token_uses:
                return False
            self._token_uses[token] += 1
            limit = self.knobs.expire_tokens_after
            return limit is None or self._token_uses[token] <= limit

    def dispatch(self, request: Request) -> Reply | None:
        """Route a request; None means: hold it, then drop the connection without an answer."""
        for route in self._routes:
            match = route.pattern.fullmatch(request.path)
            if match is None or route.method != request.method:
                continue
            request = dataclasses.replace(request, params=match.groupdict())
            if route.kind != "control":
                with self.lock:
                    self._requests[route.name] += 1
            if route.kind == "api":
                fault = self._draw_fault()
                if fault == "timeout":
                    self._closing.wait(self.knobs.hang_s)
                    return None
                if fault == "throttle":
                    return self.throttle_reply()
                if fault == "fail":
                    return self.fail_reply()
            if route.kind == "control":  # may call out (a callback), so it takes the lock only where it needs it
                return route.handler(request)
            with self.lock:
                return route.handler(request)
        return self.not_found(request)

    def _control_routes(self) -> list[Route]:
        return [
            Route("GET", re.compile(r"/__sandbox/state"), "state", lambda _: Reply(200, self.state()), "control"),
            Route("POST", re.compile(r"/__sandbox/config"), "config", self._configure_route, "control"),
        ]

    def _draw_fault(self) -> str | None:
        with self.lock:
            k = self.knobs
            if k.timeout_ratio + k.throttle_ratio + k.fail_ratio == 0:
                return None
            draw = self.rng.random()
        if draw < k.timeout_ratio:
            return "timeout"
        if draw < k.timeout_ratio + k.throttle_ratio:
            return "throttle"
        if draw < k.timeout_ratio + k.throttle_ratio + k.fail_ratio:
            return "fail"
        return None

    def _configure_route(self, request: Request) -> Reply:
        try:
            changes = request.json()
            if not isinstance(changes, dict):
                raise ValueError("the body must be a JSON object")
            self.configure(**changes)
        except (ValueError, TypeError) as exc:
            return Reply(400, {"error": str(exc)})
        return Reply(200, dataclasses.asdict(self.knobs))
