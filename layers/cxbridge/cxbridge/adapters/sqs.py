"""CRM-sync jobs onto SQS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.errors import TransientFailure

if TYPE_CHECKING:
    from cxbridge.models.crm_job import CrmJob


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
