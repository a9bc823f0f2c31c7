"""The small interfaces services depend on; adapters implement them, tests fake them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cxbridge.domain.breaker import BreakerState
    from cxbridge.domain.call_record import CallRecord
    from cxbridge.domain.crm import CrmOutcome, CrmWriteResult, LedgerEntry
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


class CrmSink(Protocol):
    """A CRM (or an RPA bot standing in for one) that upserts call outcomes keyed by conversation id."""

    max_batch: int

    def write(self, outcomes: Sequence[CrmOutcome]) -> list[CrmWriteResult]:
        """One result per outcome, in order; never raises for a single record's failure."""
        ...


class DispositionResolver(Protocol):
    """Wrap-up code id → the name a CRM shows."""

    def resolve(self, code_id: str) -> str:
        """The name; raises ``UpstreamFailure`` when it cannot be known now."""
        ...


class SyncStatusStore(Protocol):
    """The call records as the CRM-sync worker reads and settles them."""

    def current(self, conversation_ids: Sequence[str]) -> dict[str, CallRecord]:
        """The records as they are now (strongly consistent), by conversation id; missing ones absent."""
        ...

    def mark_synced(self, record: CallRecord, crm_id: str | None) -> None:
        """Mark synced if the record is still at ``record.version``; else raise ``VersionConflict``."""
        ...

    def mark_failed(self, conversation_id: str, reason: str) -> None:
        """Mark the record ``failed`` with the reason (its job goes to the dead-letter queue)."""
        ...


class BreakerStore(Protocol):
    """The circuit breaker's state, shared by every concurrent worker."""

    def load(self) -> BreakerState: ...

    def update(self, change: Callable[[BreakerState], BreakerState]) -> BreakerState:
        """Apply ``change`` atomically (read, change, conditional write; again on conflict)."""
        ...


class BotRunLedger(Protocol):
    """The bot ledger as the Control Room's callback needs it."""

    def conversation_for(self, deployment_id: str) -> str | None:
        """The conversation a deployment was for, or None if we never deployed it."""
        ...

    def forget(self, conversation_id: str) -> None:
        """Drop the entry after a failed run, so a redriven job may deploy again."""
        ...


class QueueActions(Protocol):
    """What the worker does to a received CRM-sync message besides deleting it."""

    def delay(self, receipt_handle: str, seconds: float) -> None:
        """Make the message visible again after ``seconds``."""
        ...

    def dead_letter(self, body: str, reason: str, conversation_id: str | None) -> None:
        """Put the message on the dead-letter queue with the reason as an attribute."""
        ...


# ---- toil measurement (issue 6) ----------------------------------------------------------------------

if TYPE_CHECKING:
    from cxbridge.domain.toil import CandidateKey, Period, SourceKey, Tally, ToilReport, ToilRow


class ToilSource(Protocol):
    """Where per-disposition totals come from: our call records, or Genesys Analytics."""

    def tallies(self, period: Period, *, per_queue: bool) -> dict[SourceKey, Tally]:
        """Totals per (disposition as the source names it, queue id or None) over the period's days."""
        ...


class ToilReportStore(Protocol):
    """Reports kept so each run can be compared with the one before it."""

    def previous_candidates(self, report: ToilReport) -> frozenset[CandidateKey] | None:
        """The candidates of the newest stored report with the same key before this one; None if there is none."""
        ...

    def save(self, report: ToilReport) -> None:
        """Store (or replace) the report for its key and date."""
        ...


class CandidateNotifier(Protocol):
    """Tells people that dispositions have just become automation candidates."""

    def notify(self, report: ToilReport, new: Sequence[ToilRow]) -> None:
        """Send one notice listing ``new``; raise ``TransientFailure`` if it could not be sent."""
        ...


class ToilMetrics(Protocol):
    """Per-candidate figures for dashboards and alarms."""

    def publish(self, report: ToilReport, new: Sequence[ToilRow]) -> None:
        """Emit the report's candidate figures and counts."""
        ...


# ---- workitem SLA orchestration (issue 5) ------------------------------------------------------------

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from cxbridge.domain.workitem import (
        EscalationState,
        NewTask,
        SupervisorAlert,
        TaskChanges,
        WorkitemQuery,
        WorkitemRecord,
        WorkitemSnapshot,
    )
    from cxbridge.models.workitem import CallbackJob
    from cxbridge.models.worktype import WorktypeConfig


class WorkitemStore(Protocol):
    """Workitem rows; every write after the first is conditional on ``WorkitemRecord.version``."""

    def create(self, record: WorkitemRecord) -> tuple[WorkitemRecord, bool]:
        """Write a new row unless one exists: (the row as stored, True) when written, so the caller holds
        the claim; (the existing row, False) otherwise."""
        ...

    def get(self, workitem_id: str) -> WorkitemRecord | None:
        """The row as last written (strongly consistent), or None."""
        ...

    def save(self, record: WorkitemRecord) -> WorkitemRecord:
        """Write the row if it is still at ``record.version`` (else ``VersionConflict``); return it as stored."""
        ...

    def delete(self, record: WorkitemRecord) -> None:
        """Remove the row if it is still at ``record.version`` (releases a capture claim)."""
        ...

    def find_by_genesys_id(self, genesys_id: str) -> str | None:
        """Our id of the workitem Genesys knows as ``genesys_id``."""
        ...

    def page(self, query: WorkitemQuery) -> tuple[list[WorkitemRecord], str | None]:
        """One page of rows by queue or status, due date ascending, and the token of the next page."""
        ...


class TaskManagement(Protocol):
    """Genesys Cloud Task Management; raises ``TaskApiFailure`` subclasses."""

    def create(self, task: NewTask) -> WorkitemSnapshot: ...

    def get(self, genesys_id: str) -> WorkitemSnapshot: ...

    def update(self, genesys_id: str, changes: TaskChanges) -> WorkitemSnapshot: ...

    def find_by_external_tag(self, type_id: str, external_tag: str) -> WorkitemSnapshot | None: ...


class EscalationScheduler(Protocol):
    """Per-workitem escalation executions."""

    def start(self, name: str, state: EscalationState) -> str:
        """Start (or find, for a repeated ``name``) the execution and return its ARN."""
        ...

    def stop(self, arn: str) -> None:
        """Stop it; an execution that has already ended is fine."""
        ...


class SupervisorNotifier(Protocol):
    def notify(self, alert: SupervisorAlert) -> None:
        """Tell the supervisors; raise ``TransientFailure`` if that failed."""
        ...


class CallbackQueue(Protocol):
    """Sync-back jobs waiting for delivery."""

    def send(self, job: CallbackJob) -> None: ...

    def postpone(self, receipt_handle: str, delay_s: float) -> None:
        """Deliver a received job again after ``delay_s``."""
        ...


class CallbackSender(Protocol):
    def deliver(self, url: str, key: str, payload: Mapping[str, Any]) -> None:
        """POST the outcome; raise ``UpstreamFailure`` when the source system did not take it."""
        ...


class WorktypeSource(Protocol):
    def get(self, key: str) -> WorktypeConfig | None:
        """The configuration of a worktype key, or None if the mapping has no such key."""
        ...
