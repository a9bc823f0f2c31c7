"""The small interfaces services depend on; adapters implement them, tests fake them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cxbridge.domain.call_record import CallRecord
    from cxbridge.models.crm_job import CrmJob


class CallRecordStore(Protocol):
    """Call records with optimistic concurrency on ``CallRecord.version``."""

    def get(self, conversation_id: str) -> CallRecord | None:
        """The record as last written, or None."""
        ...

    def save(self, record: CallRecord) -> None:
        """Write the record if it is still at ``record.version``; else raise ``VersionConflict``."""
        ...


class JobQueue(Protocol):
    """Where CRM-sync jobs go."""

    def send(self, job: CrmJob) -> None:
        """Queue one job; raise ``TransientFailure`` if it could not be queued."""
        ...
