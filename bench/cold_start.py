"""Import and first invocation of each handler in the Lambda-like venv, as ratios to boto3 alone.

Import: a fresh process imports the handler's module, against one that imports boto3. First invocation:
a fresh process imports the handler and handles one real event, against the floor: a fresh process that
imports boto3, builds the same client and makes the same one call (the handler's first). AWS is a local
endpoint (``AWS_ENDPOINT_URL``) that answers every call at once, so neither side waits on a network.
Each ratio is the median of paired runs (floor, then handler) of the processes' CPU time: on a shared
machine wall time moves by a third between runs while CPU time holds (docs/decisions.md, issue 15);
the wall-time ratios are reported beside them.
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


def _get(table: str, key: str) -> dict[str, Any]:
    return {"TableName": table, "Key": {key: {"S": "bench"}}}


_GET_RECORD = _get("CallRecordsTable", "conversationId")
_GET_WORKITEM = _get("WorkitemsTable", "workitemId")
_DAY_QUERY = {
    "TableName": "CallRecordsTable",
    "IndexName": "byCallDate",
    "KeyConditionExpression": "callDate = :d",
    "ExpressionAttributeValues": {":d": {"S": "2026-11-22"}},
}
# The workitem API's read route: the sample create event, turned into GET /workitems/{id}.
_WORKITEM_ID = "0b9f3c2a-6d1e-4f5a-8b7c-9d0e1f2a3b4c"
CASES = {
    "ingest_acw": Case("ingest_acw.acw-a.apigw.json", "dynamodb", "get_item", _GET_RECORD),
    "ingest_customer_end": Case("ingest_customer_end.customer-end-a.apigw.json", "dynamodb", "get_item", _GET_RECORD),
    "ingest_user_end": Case("ingest_user_end.user-end-a.apigw.json", "dynamodb", "get_item", _GET_RECORD),
    "ingest_call_completed": Case(
        "ingest_call_completed.call-completed.apigw.json", "dynamodb", "get_item", _GET_RECORD
    ),
    "crm_job_outbox": Case(
        "crm_job_outbox.stream.json", "sqs", "send_message", {"QueueUrl": "CrmSyncQueue", "MessageBody": "{}"}
    ),
    "bot_callback": Case("bot_callback.apigw.json", "dynamodb", "get_item", _GET_RECORD),
    # The toil report of a period without calls: nothing to name, so no Genesys secret and no login.
    "toil_report_api": Case("toil_report_api.apigw.json", "dynamodb", "query", _DAY_QUERY),
    "toil_daily": Case("toil_daily.schedule.json", "dynamodb", "query", _DAY_QUERY),
    "workitem_events": Case("workitem_events.apigw.json", "dynamodb", "get_item", _GET_WORKITEM),
    "workitem_sla_step": Case("workitem_sla_step.sfn.json", "dynamodb", "get_item", _GET_WORKITEM),
    "workitems_api": Case("workitems_api.create.apigw.json", "dynamodb", "get_item", _GET_WORKITEM),
}
# Not here: the CRM sync worker and the workitem callback worker, whose first call leaves AWS (the CRM, a
# source system's callback URL); their import is measured with the others.


def _event(function: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / CASES[function].event).read_text())
    if function == "workitems_api":
        event.update(httpMethod="GET", path=f"/workitems/{_WORKITEM_ID}", resource="/workitems/{workitemId}")
        event.update(pathParameters={"workitemId": _WORKITEM_ID}, body=None)
    return event


_SECRET = json.dumps({"client_id": "bench", "client_secret": "bench"})


def _answer(target: str, body: dict[str, Any]) -> dict[str, Any]:
    """What AWS would answer, minimally: an empty table, a queue that takes every message."""
    operation = target.rsplit(".", 1)[-1]
    if operation in ("Query", "Scan"):
        return {"Items": [], "Count": 0, "ScannedCount": 0}
    if operation == "GetSecretValue":
        return {"Name": body["SecretId"], "SecretString": _SECRET}
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


def _import_times(twin: Twin, function: str | None) -> dict[str, Any]:
    """Times of importing the handler (or boto3 alone) in a fresh Lambda-like process."""
    return _run(twin, function, ["-P", str(CHILD), "import", "app" if function else "boto3"], None)


def _ratios(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> tuple[float, float]:
    """Median CPU-time and wall-time ratios of (floor, handler) pairs."""
    return (
        statistics.median(h["cpu"] / f["cpu"] for f, h in pairs),
        statistics.median(h["wall"] / f["wall"] for f, h in pairs),
    )


@dataclass(frozen=True)
class Figures:
    """Per handler: the CPU-time ratio (the figure), the wall-time ratio; and the floor's median times."""

    cpu: dict[str, float]
    wall: dict[str, float]
    floor_cpu_ms: float
    floor_wall_ms: float


def _figures(results: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]) -> Figures:
    floors = [f for pairs in results.values() for f, _ in pairs]
    ratios = {function: _ratios(pairs) for function, pairs in results.items()}
    return Figures(
        cpu={f: r[0] for f, r in ratios.items()},
        wall={f: r[1] for f, r in ratios.items()},
        floor_cpu_ms=statistics.median(f["cpu"] for f in floors) * 1000,
        floor_wall_ms=statistics.median(f["wall"] for f in floors) * 1000,
    )


def import_ratios(twin: Twin, functions: list[str], runs: int) -> Figures:
    """Each handler's import against ``import boto3``, paired runs."""
    return _figures({f: [(_import_times(twin, None), _import_times(twin, f)) for _ in range(runs)] for f in functions})


def first_invocation_ratios(twin: Twin, runs: int) -> Figures:
    """Each case's first invocation against its floor, paired runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _InstantAws)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    results = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for function, case in CASES.items():
                params, event = Path(tmp) / f"{function}.params.json", Path(tmp) / f"{function}.event.json"
                params.write_text(json.dumps(case.params))
                event.write_text(json.dumps(_event(function)))
                floor_args = ["-P", str(CHILD), "floor", case.service, case.operation, str(params)]
                handler_args = ["-P", str(CHILD), "handler", str(event)]
                _check(function, _run(twin, function, handler_args, endpoint)["result"])
                results[function] = [
                    (_run(twin, None, floor_args, endpoint), _run(twin, function, handler_args, endpoint))
                    for _ in range(runs)
                ]
    finally:
        server.shutdown()
        server.server_close()
    return _figures(results)


def _check(function: str, result: Any) -> None:
    """A first invocation counts only if the handler handled the event as it would in AWS (no 5xx)."""
    if isinstance(result, dict) and "statusCode" in result:
        ok = int(result["statusCode"]) < 500
    else:
        ok = not (isinstance(result, dict) and result.get("batchItemFailures"))
    if not ok:
        raise RuntimeError(f"{function}: the first invocation failed: {result}")
