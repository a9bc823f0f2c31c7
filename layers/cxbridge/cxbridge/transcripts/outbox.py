"""Call-record changes → transcript jobs: one job when a call ends.

The job's wait for its transcript counts from when it is queued, not from the call's end: Genesys delivers
events up to four days late, and a late event's transcript is long there (the first attempt finds it).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from cxbridge.transcripts.models import TranscriptJob
from cxbridge.transcripts.rules import ended_at, needs_transcript_job

if TYPE_CHECKING:
    from collections.abc import Callable

    from cxbridge.calls.record import CallRecord
    from cxbridge.transcripts.ports import TranscriptJobQueue


class TranscriptOutbox:
    def __init__(
        self, queue: TranscriptJobQueue, clock_ms: Callable[[], int] = lambda: int(time.time() * 1000)
    ) -> None:
        self._queue = queue
        self._now = clock_ms

    def relay(self, old: CallRecord | None, new: CallRecord) -> TranscriptJob | None:
        """Queue the job this change calls for, if any, and return it."""
        ended = ended_at(new)
        if ended is None or not needs_transcript_job(old, new):
            return None
        job = TranscriptJob(
            conversationId=new.conversation_id,
            endedAt=ended,
            queuedAt=self._now(),
            mediaType=new.media_type,
            queueId=new.queue_id,
            userId=new.user_id,
        )
        self._queue.send(job)
        return job
