"""Lambda containers for the local stack: each function in its own process, with its own environment.

Lambda gives every function its own environment (``POWERTOOLS_SERVICE_NAME``, retry budgets, table
names) and every concurrent invocation its own container. One process for all of them merged every
function's variables into one ``os.environ``: the workitems API ran with the SLA step's retry budget,
and every log line carried one service name. A ``Container`` here is one such process, started on its
first invocation (a cold start) with the function's environment; its log lines go to the stack's
stdout. It takes one invocation at a time, and like Lambda it is killed when an invocation outlives the
function's timeout (the next invocation starts a new one), so a batch that does not fit shows here.

The parent writes one JSON line per invocation to the child's stdin; the child answers on a pipe of
its own, so whatever the handler prints stays a log line.
"""

from __future__ import annotations

import importlib
import json
import os
import select
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from local.lambda_context import LocalContext
from local.template import ROOT

if TYPE_CHECKING:
    from collections.abc import Mapping

# A loaded laptop is slower than Lambda: an invocation is killed this long after its timeout.
GRACE_S = 2.0
START_S = 60.0  # how long a container may take to import its handler (its init phase, on a cold start)


class FunctionError(Exception):
    """The invocation failed as Lambda reports it: the handler raised, timed out or its process died."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type


@dataclass
class _Process:
    """A running container: the child, the pipe it reads invocations from, the one it answers on."""

    child: subprocess.Popen[bytes]
    requests: IO[bytes]
    replies: int
    buffer: bytes = b""

    def send(self, request: dict[str, Any]) -> None:
        self.requests.write(json.dumps(request).encode() + b"\n")
        self.requests.flush()

    def reply(self, wait_s: float) -> dict[str, Any]:
        """The next answer: ``TimeoutError`` if none comes within ``wait_s``, ``EOFError`` if the child died."""
        deadline = time.monotonic() + wait_s
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.replies], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(self.replies, 1 << 16)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def kill(self) -> None:
        if self.child.poll() is None:
            self.child.kill()
        self.child.wait()
        self.requests.close()
        os.close(self.replies)


class Container:
    """One warm Lambda container of a function: a child process that imports the handler once."""

    def __init__(self, function_name: str, handler: str, environment: Mapping[str, str]) -> None:
        """``handler`` is the template's ``module.attr`` under ``CodeUri`` as a package path
        (``functions.crm_sync_worker.app.handler``); ``environment`` is the process's whole environment."""
        self.function_name = function_name
        self._handler = handler
        self._environment = dict(environment)
        self._lock = threading.Lock()
        self._process: _Process | None = None
        self.cold_starts = 0

    def invoke(self, event: dict[str, Any], timeout_ms: int, kill_after_ms: int | None = None) -> Any:
        """Run one invocation; its result, or ``FunctionError`` as Lambda would report it.

        ``timeout_ms`` is the time the context gives the handler; the process is killed once it is past
        (``kill_after_ms`` when given: the fault run hands a handler less time than its function's Timeout,
        to see it stop by itself, and kills it only where Lambda would)."""
        with self._lock:
            cold = self._process is None or self._process.child.poll() is not None
            process = self._start() if cold or self._process is None else self._process
            try:
                process.send({"event": event, "timeout_ms": timeout_ms})
                reply = process.reply((kill_after_ms or timeout_ms) / 1000 + GRACE_S)
            except TimeoutError as exc:
                self._kill()
                raise FunctionError("Sandbox.Timedout", f"Task timed out after {timeout_ms / 1000:.2f} s") from exc
            except (EOFError, OSError) as exc:  # the process exited mid-invocation (a crash, os._exit)
                self._kill()
                raise FunctionError("Runtime.ExitError", "the container exited during the invocation") from exc
            if "errorType" in reply:
                raise FunctionError(reply["errorType"], reply["errorMessage"])
            return reply["result"]

    def _start(self) -> _Process:
        self._kill()
        replies, child_end = os.pipe()
        environment = {**self._environment, "CXBRIDGE_LOCAL_REPLY_FD": str(child_end), "PYTHONUNBUFFERED": "1"}
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "local.function_host", self.function_name, self._handler],
            stdin=subprocess.PIPE,
            env=environment,
            cwd=ROOT,
            pass_fds=(child_end,),
        )
        os.close(child_end)
        if child.stdin is None:
            raise RuntimeError("the container has no stdin")
        self._process = _Process(child, child.stdin, replies)
        self.cold_starts += 1
        try:
            self._process.reply(START_S)  # the handler is imported: the init phase is over
        except (TimeoutError, EOFError) as exc:
            self._kill()
            raise FunctionError("Runtime.InitError", "the handler could not be imported (see its log)") from exc
        return self._process

    def _kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process = None

    def stop(self) -> None:
        with self._lock:
            self._kill()


def serve(function_name: str, handler_path: str) -> None:
    """The child: import the handler, then answer invocations from stdin until it closes."""
    module_name, attr = handler_path.rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), attr)
    replies = os.fdopen(int(os.environ["CXBRIDGE_LOCAL_REPLY_FD"]), "wb")
    replies.write(b'{"ready": true}\n')
    replies.flush()
    for line in sys.stdin.buffer:
        request = json.loads(line)
        context = LocalContext(function_name=function_name, timeout_ms=int(request["timeout_ms"]))
        try:
            reply: dict[str, Any] = {"result": handler(request["event"], context)}
        except Exception as exc:  # noqa: BLE001 - reported as Lambda reports an unhandled error
            traceback.print_exc()  # Lambda writes the stack trace to the function's log
            reply = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
        replies.write(json.dumps(reply, default=str).encode() + b"\n")
        replies.flush()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
