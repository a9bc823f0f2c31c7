"""Deliver an SQS queue to a handler as Lambda's event source mapping does, batch and partial failures included."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


def lambda_record(message: dict[str, Any], queue_arn: str, region: str = "us-east-1") -> dict[str, Any]:
    """One received message in the shape of an SQS event record."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            k: {
                "stringValue": v.get("StringValue"),
                "binaryValue": v.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": v["DataType"],
            }
            for k, v in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class SqsEventSource:
    """Receive up to ``batch_size`` visible messages, invoke, delete all but the reported failures.

    A failed message stays invisible until its visibility timeout (or the delay the handler set) ends,
    its receive count grows, and the queue's redrive policy moves it to the dead-letter queue, as in AWS.
    """

    def __init__(self, sqs: Any, queue_url: str, batch_size: int = 10, window_s: float = 0.0) -> None:
        self._sqs = sqs
        self._url = queue_url
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._batch_size = batch_size
        self._window_s = window_s  # MaximumBatchingWindowInSeconds: gather for up to this long
        self.crashes = 0  # invocations that raised (their whole batch stayed on the queue)

    def receive(self) -> list[dict[str, Any]]:
        """Up to one batch of visible messages (SQS hands out at most 10 per call)."""
        messages: list[dict[str, Any]] = []
        deadline = None
        while len(messages) < self._batch_size:
            got = self._sqs.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=min(10, self._batch_size - len(messages)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            messages += got
            if not got and not messages:
                break  # nothing visible: no batch to gather
            if not got:
                deadline = deadline or time.monotonic() + self._window_s
                if time.monotonic() >= deadline:
                    break
                time.sleep(min(0.1, self._window_s))
        return messages

    def poll(self, handler: Callable[[dict[str, Any]], dict[str, Any] | None]) -> int:
        """Deliver one batch; return how many messages it held (0 when the queue had none visible)."""
        messages = self.receive()
        if not messages:
            return 0
        try:
            response = handler({"Records": [lambda_record(m, self._arn) for m in messages]}) or {}
        except Exception:  # noqa: BLE001 - a failed invocation: Lambda deletes nothing, all come back
            self.crashes += 1
            return len(messages)
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start : start + 10])
            ]
            self._sqs.delete_message_batch(QueueUrl=self._url, Entries=entries)
        return len(messages)
