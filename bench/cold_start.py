"""Import and first invocation of each handler in the Lambda-like venv, as ratios to boto3 alone.

Import: a fresh process imports the handler's module, against one that imports boto3. First invocation:
a fresh process imports the handler and handles one real event, against the floor: a fresh process that
imports boto3, builds the same client and makes the same one call (the handler's first). AWS is a local
endpoint (``AWS_ENDPOINT_URL``) that answers every call at once, so neither side waits on a network.
Each ratio is the median of paired runs (floor, then handler), so a machine that drifts moves both alike.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import subprocess
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.lambda_like import Twin, lambda_environment

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).resolve().parent / "cold_start_child.py"
EVENTS = ROOT / "events"
INGEST = ("ingest_acw", "ingest_customer_end", "ingest_user_end", "ingest_call_completed")


@dataclass(frozen=True)
class Case:
    """A handler's first invocation: its event, and the first AWS call it makes (the floor makes it alone)."""

    event: str
    service: str
    operation: str
    params: dict[str, Any] = field(default_factory=dict)


_GET_RECORD = {"TableName": "CallRecordsTable", "Key": {"conversationId": {"S": "c-1"}}, "ConsistentRead": True}
CASES = {
    "ingest_acw": Case("ingest_acw.acw-a.apigw.json", "dynamodb", "get_item", _GET_RECORD),
    "ingest_customer_end": Case("ingest_customer_end.customer-end-a.apigw.json", "dynamodb", "get_item", _GET_RECORD),
    "ingest_user_end": Case("ingest_user_end.user-end-a.apigw.json", "dynamodb", "get_item", _GET_RECORD),
    "ingest_call_completed": Case(
        "ingest_call_completed.call-completed.apigw.json", "dynamodb", "get_item", _GET_RECORD
    ),
}


def _answer(target: str, body: dict[str, Any]) -> dict[str, Any]:
    """What AWS would answer, minimally: an empty table, a queue that takes every message."""
    operation = target.rsplit(".", 1)[-1]
    if operation in ("Query", "Scan"):
        return {"Items": [], "Count": 0, "ScannedCount": 0}
    if operation == "SendMessage":
        digest = hashlib.md5(body["MessageBody"].encode(), usedforsecurity=False).hexdigest()
        return {"MessageId": str(uuid.uuid4()), "MD5OfMessageBody": digest}
    if operation == "SendMessageBatch":
        entries = body["Entries"]
        return {
            "Successful": [
                {
                    "Id": e["Id"],
                    "MessageId": str(uuid.uuid4()),
                    "MD5OfMessageBody": hashlib.md5(e["MessageBody"].encode(), usedforsecurity=False).hexdigest(),
                }
                for e in entries
            ],
            "Failed": [],
        }
    return {}


class _InstantAws(BaseHTTPRequestHandler):
    """AWS's JSON protocols (DynamoDB, SQS, ...), answered at once from ``_answer``."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; Nagle would hold the body ~40 ms

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        payload = json.dumps(_answer(self.headers.get("X-Amz-Target", ""), body)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: one line per AWS call is not a figure."""


def _run(twin: Twin, function: str | None, args: list[str], endpoint: str | None) -> dict[str, Any]:
    env = lambda_environment(twin, function, endpoint)
    env["_X_AMZN_TRACE_ID"] = "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=1"
    env["AWS_XRAY_DAEMON_ADDRESS"] = "127.0.0.1:2000"
    cwd = twin.task(function) if function else twin.tasks
    out = subprocess.run([str(twin.python), *args], env=env, cwd=cwd, capture_output=True, text=True, check=True)  # noqa: S603 - our own twin
    return dict(json.loads(out.stdout.splitlines()[-1]))


def _import_seconds(twin: Twin, function: str | None) -> float:
    """Wall time of importing the handler (or boto3 alone) in a fresh Lambda-like process."""
    return float(_run(twin, function, ["-P", str(CHILD), "import", "app" if function else "boto3"], None)["seconds"])


def import_ratios(twin: Twin, functions: list[str], runs: int) -> dict[str, float]:
    """Each handler's import time over ``import boto3``'s, median of paired runs; ``boto3_import_ms`` too."""
    ratios: dict[str, float] = {}
    floor_samples: list[float] = []
    for function in functions:
        pairs = [(_import_seconds(twin, None), _import_seconds(twin, function)) for _ in range(runs)]
        floor_samples += [b for b, _ in pairs]
        ratios[function] = statistics.median(m / b for b, m in pairs)
    return {"boto3_import_ms": statistics.median(floor_samples) * 1000, **ratios}


def first_invocation_ratios(twin: Twin, runs: int) -> dict[str, float]:
    """Each case's first invocation over its floor's, median of paired runs; ``floor_ms`` too."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _InstantAws)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    ratios: dict[str, float] = {}
    floors: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for function, case in CASES.items():
                params = Path(tmp) / f"{function}.json"
                params.write_text(json.dumps(case.params))
                floor_args = ["-P", str(CHILD), "floor", case.service, case.operation, str(params)]
                handler_args = ["-P", str(CHILD), "handler", str(EVENTS / case.event)]
                _check(function, _run(twin, function, handler_args, endpoint)["result"])
                pairs = [
                    (
                        _run(twin, None, floor_args, endpoint)["seconds"],
                        _run(twin, function, handler_args, endpoint)["seconds"],
                    )
                    for _ in range(runs)
                ]
                floors += [f for f, _ in pairs]
                ratios[function] = statistics.median(h / f for f, h in pairs)
    finally:
        server.shutdown()
        server.server_close()
    return {"floor_ms": statistics.median(floors) * 1000, **ratios}


def _check(function: str, result: Any) -> None:
    """A first invocation counts only if the handler handled the event as it would in AWS."""
    if isinstance(result, dict) and "statusCode" in result:
        ok = 200 <= int(result["statusCode"]) < 300
    else:
        ok = not (isinstance(result, dict) and result.get("batchItemFailures"))
    if not ok:
        raise RuntimeError(f"{function}: the first invocation failed: {result}")
