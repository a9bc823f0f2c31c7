"""CRM-sync jobs onto SQS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.core.errors import TransientFailure

if TYPE_CHECKING:
    from cxbridge.crm.job import CrmJob


class SqsJobQueue:
    """``JobQueue`` on an SQS queue; the conversation id travels as an attribute for filtering and tracing."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._url = queue_url

    def send(self, job: CrmJob) -> None:
        try:
            self._client.send_message(
                QueueUrl=self._url,
                MessageBody=job.model_dump_json(exclude_none=True),
                MessageAttributes={"conversationId": {"DataType": "String", "StringValue": job.conversationId}},
            )
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"job could not be queued: {type(exc).__name__}") from None


class SqsQueueActions:
    """``QueueActions`` on the CRM-sync queue and its dead-letter queue."""

    def __init__(self, client: Any, queue_url: str, dead_letter_url: str) -> None:
        self._client = client
        self._url = queue_url
        self._dlq = dead_letter_url

    def delay(self, receipt_handle: str, seconds: float) -> None:
        try:
            self._client.change_message_visibility(
                QueueUrl=self._url, ReceiptHandle=receipt_handle, VisibilityTimeout=min(43_200, max(0, round(seconds)))
            )
        except (ClientError, BotoCoreError) as exc:  # it reappears after the queue's visibility timeout anyway
            raise TransientFailure(f"visibility change failed: {type(exc).__name__}") from None

    def dead_letter(self, body: str, reason: str, conversation_id: str | None) -> None:
        attributes = {"reason": {"DataType": "String", "StringValue": reason[:256]}}
        if conversation_id:
            attributes["conversationId"] = {"DataType": "String", "StringValue": conversation_id}
        try:
            self._client.send_message(QueueUrl=self._dlq, MessageBody=body, MessageAttributes=attributes)
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"dead-letter send failed: {type(exc).__name__}") from None
