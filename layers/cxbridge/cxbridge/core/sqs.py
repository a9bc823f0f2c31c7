"""A feature's job queue on SQS: send a job, put a message back for later, dead-letter one with its reason.

The CRM-sync and the transcript queues work the same way (the conversation id travels as a message
attribute for filtering and tracing; an SQS error is a ``TransientFailure``, so the caller's message
is retried), so both features use this one adapter.
"""

from __future__ import annotations

from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.core.errors import TransientFailure
from cxbridge.core.observability import logger

MAX_VISIBILITY_S = 43_200  # SQS's limit on a message's visibility timeout (12 h)


class ConversationJob(Protocol):
    """What a queued job is: a pydantic model keyed by its call."""

    @property
    def conversationId(self) -> str: ...

    def model_dump_json(self, *, exclude_none: bool = ...) -> str: ...


class SqsQueue:
    """A job queue and, with ``dead_letter_url``, the actions a worker takes on its messages."""

    def __init__(self, client: Any, queue_url: str, dead_letter_url: str | None = None) -> None:
        self._client = client
        self._url = queue_url
        self._dlq = dead_letter_url

    def send(self, job: ConversationJob) -> None:
        try:
            self._client.send_message(
                QueueUrl=self._url,
                MessageBody=job.model_dump_json(exclude_none=True),
                MessageAttributes={"conversationId": {"DataType": "String", "StringValue": job.conversationId}},
            )
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"job could not be queued: {type(exc).__name__}") from None

    def delay(self, receipt_handle: str, seconds: float) -> None:
        """Show the message again in ``seconds`` (the worker's backoff)."""
        try:
            self._client.change_message_visibility(
                QueueUrl=self._url,
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=min(MAX_VISIBILITY_S, max(0, round(seconds))),
            )
        except (ClientError, BotoCoreError) as exc:  # it reappears after the queue's visibility timeout anyway
            raise TransientFailure(f"visibility change failed: {type(exc).__name__}") from None

    def dead_letter(self, body: str, reason: str, conversation_id: str | None) -> None:
        """Send ``body`` to the dead-letter queue with its reason (what the runbook and redrive read)."""
        if not self._dlq:
            raise TransientFailure("no dead-letter queue configured")
        attributes = {"reason": {"DataType": "String", "StringValue": reason[:256]}}
        if conversation_id:
            attributes["conversationId"] = {"DataType": "String", "StringValue": conversation_id}
        try:
            self._client.send_message(QueueUrl=self._dlq, MessageBody=body, MessageAttributes=attributes)
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"dead-letter send failed: {type(exc).__name__}") from None
        # The one line an operator searches for: which call left the pipeline, and why (no body: reasons are codes).
        logger.warning("job dead-lettered", extra={"reason": reason[:256], "conversationId": conversation_id})
