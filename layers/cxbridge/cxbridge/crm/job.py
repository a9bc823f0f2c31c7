"""The CRM-sync job: what the queue carries from ingestion to the CRM worker.

Ids and non-sensitive facts only; no phone numbers, addresses or notes. ``recordVersion`` is the version
of the call record the job was queued at, so the worker can tell whether the record has moved on since.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from cxbridge.calls.record import CallRecord


class CrmJob(BaseModel):
    """One call outcome to write to the CRM, keyed by ``conversationId``."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    conversationId: str = Field(min_length=1)
    recordVersion: int = Field(ge=1)
    wrapupCodeId: str | None = None
    dispositionName: str | None = None
    dispositionTime: int | None = None
    userId: str | None = None
    queueId: str | None = None
    mediaType: str | None = None
    direction: str | None = None
    talkMs: int | None = None
    heldMs: int | None = None
    acwMs: int | None = None
    handleMs: int | None = None
    callDate: str | None = None

    @classmethod
    def from_record(cls, record: CallRecord) -> CrmJob:
        """The job for a call record that has a disposition."""
        return cls(
            conversationId=record.conversation_id,
            recordVersion=record.version,
            wrapupCodeId=record.wrapup_code_id,
            dispositionName=record.disposition_name,
            dispositionTime=record.disposition_time,
            userId=record.user_id,
            queueId=record.queue_id,
            mediaType=record.media_type,
            direction=record.direction,
            talkMs=record.talk_ms,
            heldMs=record.held_ms,
            acwMs=record.acw_ms,
            handleMs=record.handle_ms,
            callDate=record.call_date,
        )
