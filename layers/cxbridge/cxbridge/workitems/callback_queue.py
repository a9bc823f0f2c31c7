"""Sync-back jobs on the workitem callback queue (SQS, with a dead-letter queue after N receives)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.core.errors import TransientFailure
from cxbridge.core.upstream import SQS_MAX_VISIBILITY_S

if TYPE_CHECKING:
    from cxbridge.workitems.models import CallbackJob


class SqsCallbackQueue:
    """``CallbackQueue`` on SQS."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, job: CallbackJob) -> None:
        try:
            self._client.send_message(
                QueueUrl=self._url,
                MessageBody=job.model_dump_json(),
                MessageAttributes={"workitemId": {"DataType": "String", "StringValue": job.workitemId}},
            )
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"callback could not be queued: {type(exc).__name__}") from None

    def postpone(self, receipt_handle: str, delay_s: float) -> None:
        """Hide a received message for ``delay_s`` (the retry's backoff) instead of the queue's default."""
        seconds = max(0, min(int(delay_s), SQS_MAX_VISIBILITY_S))
        try:
            self._client.change_message_visibility(
                QueueUrl=self._url, ReceiptHandle=receipt_handle, VisibilityTimeout=seconds
            )
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"callback retry could not be scheduled: {type(exc).__name__}") from None
