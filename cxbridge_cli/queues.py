"""Reading a queue without consuming it, and moving dead letters back (SQS ``StartMessageMoveTask``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

# The dead-letter queues an operator redrives, by the stack output that holds their URL.
DEAD_LETTER_OUTPUTS = {
    "crm-sync": "CrmSyncDeadLetterQueueUrl",
    "ingest": "IngestDeadLetterQueueUrl",
    "transcripts": "TranscriptDeadLetterQueueUrl",  # only with TranscriptsEnabled (issue 17)
}
# Where a message move takes each queue's dead letters back to (the ingest ones are replayed instead).
SOURCE_OUTPUTS = {"crm-sync": "CrmSyncQueueUrl", "transcripts": "TranscriptQueueUrl"}


def peek_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message of a queue (body and ``reason`` attribute), left in the queue.

    Each receive hides what it returned, so the next one gets different messages (a peek with
    visibility 0 returns the same first ten again and again); at the end all are made visible again.
    """
    seen: dict[str, dict[str, Any]] = {}
    receipts: list[str] = []
    while got := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=120, MessageAttributeNames=["All"]
    ).get("Messages", []):
        for m in got:
            attributes: dict[str, Any] = m.get("MessageAttributes", {})
            reason = attributes.get("reason", {}).get("StringValue", "(none)")
            seen[m["MessageId"]] = {"body": m["Body"], "reason": reason}
            receipts.append(m["ReceiptHandle"])
    for receipt in receipts:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=0)
    return list(seen.values())


def reasons(sqs: Any, url: str) -> dict[str, int]:
    """Dead letters by their ``reason`` attribute."""
    return dict(Counter(m["reason"] for m in peek_all(sqs, url)).most_common())


def queue_arn(sqs: Any, url: str) -> str:
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return arn


def start_redrive(sqs: Any, source_arn: str, rate: int | None) -> dict[str, Any]:
    """Start moving every message of ``source_arn`` back to the queue it came from."""
    args: dict[str, Any] = {"SourceArn": source_arn}
    if rate:
        args["MaxNumberOfMessagesPerSecond"] = rate
    result: dict[str, Any] = sqs.start_message_move_task(**args)
    result.pop("ResponseMetadata", None)
    return result


def move_tasks(sqs: Any, source_arn: str) -> list[dict[str, Any]]:
    """The move tasks of a dead-letter queue, newest first (progress of a redrive)."""
    tasks: list[dict[str, Any]] = sqs.list_message_move_tasks(SourceArn=source_arn).get("Results", [])
    return tasks


def move_by_hand(sqs: Any, dead_letter_url: str, destination_url: str) -> int:
    """Receive, re-send and delete each dead letter: for emulators without ``StartMessageMoveTask`` (moto)."""
    moved = 0
    while messages := sqs.receive_message(
        QueueUrl=dead_letter_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        for m in messages:
            attributes = m.get("MessageAttributes", {})
            sqs.send_message(QueueUrl=destination_url, MessageBody=m["Body"], MessageAttributes=attributes)
            sqs.delete_message(QueueUrl=dead_letter_url, ReceiptHandle=m["ReceiptHandle"])
            moved += 1
    return moved
