"""Turn call-record changes (the table's stream) into CRM-sync jobs.

Queuing from the stream, not from the ingest handler, makes the job a consequence of the committed
write: a crash between the write and the send cannot lose it, because the stream redelivers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxbridge.calls.record import needs_crm_job
from cxbridge.crm.job import CrmJob

if TYPE_CHECKING:
    from cxbridge.calls.record import CallRecord
    from cxbridge.crm.ports import JobQueue


class OutboxService:
    """Queue a job when a change gives a call its first, or a different, disposition."""

    def __init__(self, queue: JobQueue) -> None:
        self._queue = queue

    def relay(self, old: CallRecord | None, new: CallRecord) -> CrmJob | None:
        """Queue the job this change calls for, if any, and return it."""
        if not needs_crm_job(old, new):
            return None
        job = CrmJob.from_record(new)
        self._queue.send(job)
        return job
