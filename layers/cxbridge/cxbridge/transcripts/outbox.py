"""Call-record changes → transcript jobs: one job when a call ends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxbridge.transcripts.models import TranscriptJob
from cxbridge.transcripts.rules import ended_at, needs_transcript_job

if TYPE_CHECKING:
    from cxbridge.calls.record import CallRecord
    from cxbridge.transcripts.ports import TranscriptJobQueue


class TranscriptOutbox:
    def __init__(self, queue: TranscriptJobQueue) -> None:
        self._queue = queue

    def relay(self, old: CallRecord | None, new: CallRecord) -> TranscriptJob | None:
        """Queue the job this change calls for, if any, and return it."""
        ended = ended_at(new)
        if ended is None or not needs_transcript_job(old, new):
            return None
        job = TranscriptJob(
            conversationId=new.conversation_id,
            endedAt=ended,
            mediaType=new.media_type,
            queueId=new.queue_id,
            userId=new.user_id,
        )
        self._queue.send(job)
        return job
