"""The small interfaces services depend on; adapters implement them, tests fake them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cxbridge.domain.call_record import CallRecord
    from cxbridge.domain.crm import LedgerEntry
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


class BotDeploymentLedger(Protocol):
    """What we asked an RPA Control Room to run, per conversation: its deploy API has no idempotency key.

    One ledger serves one bot; a durable implementation keys its entries by bot and conversation.
    """

    def claim(self, conversation_id: str) -> LedgerEntry | None:
        """Record the intent to deploy unless an entry exists (a conditional write); None means the caller
        now holds the claim, otherwise the existing entry is returned and nothing changes."""
        ...

    def record_deployment(self, conversation_id: str, deployment_id: str) -> None:
        """Attach the Control Room's deployment id to the claim."""
        ...

    def release(self, conversation_id: str) -> None:
        """Drop a claim whose deploy certainly did not happen, so a retry may deploy."""
        ...
