"""The ingest path in-process against moto: latency per event, AWS calls per event, jobs under redelivery."""

from __future__ import annotations

import importlib
import json
import os
import random
import statistics
import time
from typing import Any

import boto3
from moto import mock_aws

from cxbridge.core import wiring
from cxbridge.core.aws import client
from local.lambda_context import LocalContext
from local.resources import create_all
from local.streams import StreamPump
from scripts.build_events import api_gateway_event
from tests.builders import body

WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "SendMessage"}
WARM_UP = "00000000-0000-4000-8000-ffffffffffff"  # the conversation that warms every handler up
ROUTES = {
    "user-end-a": ("/genesys/conversations/user-end", "ingest_user_end"),
    "customer-end-a": ("/genesys/conversations/customer-end", "ingest_customer_end"),
    "acw-a": ("/genesys/conversations/acw", "ingest_acw"),
}


def _events(calls: int, rnd: random.Random) -> list[tuple[str, str, dict[str, Any]]]:
    """Three events per call (from the samples, new conversation ids), each delivered twice, shuffled."""
    out = []
    for n in range(calls):
        conversation = f"00000000-0000-4000-8000-{n:012d}"
        for stem, (path, function) in ROUTES.items():
            data = {**body(stem), "conversationId": conversation}
            out += [(function, path, data)] * 2
    rnd.shuffle(out)
    return out


def _item_bytes(value: Any, name: str = "") -> int:
    """An item's size as DynamoDB bills it (names + values; numbers about half their digits), in bytes."""
    size = len(name.encode())
    if "S" in value:
        return size + len(value["S"].encode())
    if "N" in value:
        return size + len(value["N"].lstrip("-").replace(".", "")) // 2 + 1
    if "M" in value:
        return size + 3 + sum(_item_bytes(v, k) + 1 for k, v in value["M"].items())
    if "L" in value:
        return size + 3 + sum(_item_bytes(v) + 1 for v in value["L"])
    return size + 1  # BOOL, NULL


def _percentile(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1]


def bench_ingest(events: int) -> dict[str, Any]:
    """Run about ``events`` ingest invocations; return latency, AWS calls and job counts."""
    fake_credentials = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}  # moto intercepts all calls
    os.environ.update(AWS_DEFAULT_REGION="us-east-1", **fake_credentials)
    rnd = random.Random(7)
    with mock_aws():
        resources = create_all(boto3.client("dynamodb"), boto3.client("sqs"))
        for logical_id in ("IngestAcwFunction", "CrmJobOutboxFunction"):
            os.environ.update(resources.function_environment(logical_id))
        wiring.reset()
        calls: list[str] = []
        for service in ("dynamodb", "sqs"):
            client(service).meta.events.register("before-call", lambda model, **_: calls.append(model.name))
        handlers = {f: importlib.import_module(f"functions.{f}.app").lambda_handler for _, f in ROUTES.values()}
        plan = _events(max(1, events // 6), rnd)
        # warm every handler once (cold start is measured separately, as import time)
        for function, path, data in plan[:3]:
            handlers[function](api_gateway_event(path, {**data, "conversationId": WARM_UP}), LocalContext())
        calls.clear()
        latencies = []
        for function, path, data in plan:
            event = api_gateway_event(path, data)
            start = time.perf_counter()
            response = handlers[function](event, LocalContext(function_name=function))
            latencies.append((time.perf_counter() - start) * 1000)
            assert response["statusCode"] == 202, response
        aws_calls = len(calls)
        writes = sum(1 for c in calls if c in WRITE_OPERATIONS)
        calls.clear()
        outbox = importlib.import_module("functions.crm_job_outbox.app").lambda_handler
        pump = StreamPump(
            boto3.client("dynamodb"), boto3.client("dynamodbstreams"), resources.tables["CallRecordsTable"]
        )
        # A read returns at most 1,000 stream records: pump until the stream is drained, as the mapping polls.
        for _ in range(1_000):  # bounded: a record that always failed would be redelivered forever
            if not pump.pump(lambda batch: outbox(batch, LocalContext(function_name="crm_job_outbox"))):
                break
        outbox_calls = len(calls)
        records = boto3.client("dynamodb").scan(TableName=resources.tables["CallRecordsTable"])["Items"]
        sqs = boto3.client("sqs")
        jobs: list[str] = []
        job_bytes: list[int] = []
        url = resources.queue_urls["CrmSyncQueue"]
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for m in messages:
                jobs.append(json.loads(m["Body"])["conversationId"])
                job_bytes.append(len(m["Body"].encode()))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    expected = {data["conversationId"] for _, _, data in plan} | {WARM_UP}
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": _percentile(latencies, 99),
        "aws_calls_per_event": aws_calls / len(plan),
        "aws_writes_per_event": writes / len(plan),
        "call_record_bytes_max": max(_item_bytes({"M": item}) - 3 for item in records),
        "crm_job_bytes_max": max(job_bytes),
        "outbox_aws_calls_per_job": outbox_calls / len(jobs),
        "lost": len(expected - set(jobs)),
        "duplicated": len(jobs) - len(set(jobs)),
    }
