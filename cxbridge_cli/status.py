"""``cxbridge status``: what an operator looks at every day, read from the stack's queues and tables."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cxbridge_cli.queues import reasons

if TYPE_CHECKING:
    from cxbridge_cli.stack import Aws, Stack

QUEUES = {
    "crm-sync": "CrmSyncQueueUrl",
    "crm-sync dead letters": "CrmSyncDeadLetterQueueUrl",
    "ingest dead letters": "IngestDeadLetterQueueUrl",
}
DEAD_LETTERS = ("CrmSyncDeadLetterQueueUrl", "IngestDeadLetterQueueUrl")


def _oldest_age_s(cloudwatch: Any, url: str) -> float | None:
    """``ApproximateAgeOfOldestMessage`` over the last 5 minutes (None where CloudWatch has no data)."""
    now = datetime.now(UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/SQS",
        MetricName="ApproximateAgeOfOldestMessage",
        Dimensions=[{"Name": "QueueName", "Value": url.rsplit("/", 1)[-1]}],
        StartTime=now - timedelta(minutes=5),
        EndTime=now,
        Period=60,
        Statistics=["Maximum"],
    ).get("Datapoints", [])
    return max(p["Maximum"] for p in points) if points else None


def queues(aws: Aws, stack: Stack) -> dict[str, Any]:
    sqs, cloudwatch = aws.client("sqs"), aws.client("cloudwatch")
    shown: dict[str, Any] = {}
    for label, output in QUEUES.items():
        url = stack.output(output)
        attrs = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        shown[label] = {
            "waiting": int(attrs["ApproximateNumberOfMessages"]),
            "in_flight": int(attrs["ApproximateNumberOfMessagesNotVisible"]),
            "oldest_age_s": _oldest_age_s(cloudwatch, url),
        }
        if output in DEAD_LETTERS:
            shown[label]["by_reason"] = reasons(sqs, url)
    return shown


def sync_statuses(aws: Aws, stack: Stack, days: int = 2) -> dict[str, dict[str, int]]:
    """Call records by sync status for the last ``days`` call dates (the ``byCallDate`` index)."""
    dynamodb = aws.client("dynamodb")
    table = stack.output("CallRecordsTableName")
    today = datetime.now(UTC).date()
    counts: dict[str, dict[str, int]] = {}
    for back in range(days):
        day = (today - timedelta(days=back)).isoformat()
        tally: Counter[str] = Counter()
        for page in dynamodb.get_paginator("query").paginate(
            TableName=table,
            IndexName="byCallDate",
            KeyConditionExpression="callDate = :d",
            ExpressionAttributeValues={":d": {"S": day}},
            ProjectionExpression="syncStatus",
        ):
            tally.update(item.get("syncStatus", {}).get("S", "no disposition yet") for item in page["Items"])
        counts[day] = dict(tally)
    return counts


def breaker(aws: Aws, stack: Stack) -> dict[str, Any]:
    sink = stack.parameters.get("CrmSink", "salesforce")
    item = (
        aws.client("dynamodb")
        .get_item(TableName=stack.output("WorkerStateTableName"), Key={"pk": {"S": f"breaker#{sink}"}})
        .get("Item")
    )
    if not item:
        return {"sink": sink, "state": "closed", "failures": 0}
    open_until = float(item["openUntil"]["N"])
    state = "open" if open_until > time.time() else "closed"
    shown: dict[str, Any] = {"sink": sink, "state": state, "failures": int(item["failures"]["N"])}
    if state == "open":
        shown["open_until"] = datetime.fromtimestamp(open_until, UTC).isoformat(timespec="seconds")
    return shown


def last_toil_report(aws: Aws, stack: Stack) -> dict[str, Any] | None:
    """The newest report (the table holds one row a day per scope: a scan stays small)."""
    items: list[dict[str, Any]] = []
    for page in (
        aws.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=stack.output("ToilReportsTableName"),
            ProjectionExpression="reportKey, reportDate, totalCalls, candidates",
        )
    ):
        items.extend(page["Items"])
    if not items:
        return None
    newest = max(items, key=lambda i: (i["reportDate"]["S"], i["reportKey"]["S"]))
    return {
        "report": newest["reportKey"]["S"],
        "date": newest["reportDate"]["S"],
        "calls": int(newest["totalCalls"]["N"]),
        "candidates": [c["M"]["disposition"]["S"] for c in newest.get("candidates", {}).get("L", [])],
    }


def status(aws: Aws, stack: Stack) -> dict[str, Any]:
    shown_queues = queues(aws, stack)
    records = sync_statuses(aws, stack)
    pending = sum(day.get("pending", 0) for day in records.values())
    jobs = sum(shown_queues["crm-sync"][k] for k in ("waiting", "in_flight"))
    jobs += sum(shown_queues["crm-sync dead letters"][k] for k in ("waiting", "in_flight"))
    return {
        "stack": stack.name,
        "queues": shown_queues,
        "call_records": records,
        # A pending record has a job in the queue or its dead letters; more pending records than jobs: stranded.
        "stranded_records": max(0, pending - jobs),
        "breaker": breaker(aws, stack),
        "last_toil_report": last_toil_report(aws, stack),
    }


def render(shown: dict[str, Any]) -> str:
    return json.dumps(shown, indent=2, default=str)
