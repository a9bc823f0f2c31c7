"""The CRM feature's ports: sinks, queues, ledgers and stores the sync service depends on; adapters
implement them, tests fake them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cxbridge.calls.record import CallRecord
    from cxbridge.crm.breaker import BreakerState
    from cxbridge.crm.job import CrmJob
    from cxbridge.crm.lookup import LookupQuery, LookupResult
    from cxbridge.crm.outcome import CrmOutcome, CrmWriteResult, LedgerEntry


class JobQueue(Protocol):
    """Where CRM-sync jobs go."""

    def send(self, job: CrmJob) -> None:
        """Queue one job; raise ``TransientFailure`` if it could not be queued."""
        ...


class BotDeploymentLedger(Protocol):
    """What we asked an RPA Control Room to run, per conversation: its deploy API has no idempotency key.

    One ledger serves one bot; a durable implementation keys its entries by bot and conversation.
    """

    def claim(self, conversation_id: str, content: str) -> LedgerEntry | None:
        """Record the intent to deploy ``content`` unless an entry exists that is unsettled or for this
        content (a conditional write); None means the caller now holds the claim, otherwise the
        existing entry, still standing when read, is returned and nothing changes."""
        ...

    def settle(self, conversation_id: str, deployment_id: str) -> None:
        """Mark the entry's run ended, if it is still this deployment's: newer content may deploy."""
        ...

    def record_deployment(self, conversation_id: str, deployment_id: str, content: str) -> None:
        """Attach the Control Room's deployment id to the claim, if it is still the claim for ``content``
        and has none (a run whose claim was dropped or taken meanwhile is not the latest); the id always
        finds its conversation, so that run's callback queues the record."""
        ...

    def release(self, conversation_id: str, claimed_at: float | None = None) -> None:
        """Drop a claim whose deploy certainly did not happen, so a retry may deploy. A worker dropping a
        claim it found rather than made names its ``claimed_at``: another worker may have replaced it with
        a fresh claim meanwhile, and dropping that one would let both deploy."""
        ...

    def forget(self, conversation_id: str, deployment_id: str) -> None:
        """Drop the entry after ``deployment_id``'s run failed, if it is still that run's, so a later job
        may deploy again."""
        ...

    def get(self, conversation_id: str) -> LedgerEntry | None:
        """The conversation's entry as it stands."""
        ...

    def fail(self, conversation_id: str, deployment_id: str, reason: str) -> None:
        """Mark the entry's work item failed with the bot's reason, if it is still this item's."""
        ...

    def reclaim(self, entry: LedgerEntry, content: str, attempts: int) -> bool:
        """Take over ``entry`` (a failed work item's, unchanged since read) for a new item of ``content``,
        its ``attempts`` given; False if another writer changed the entry first (a conditional write)."""
        ...


class CrmSink(Protocol):
    """A CRM (or an RPA bot standing in for one) that upserts call outcomes keyed by conversation id."""

    max_batch: int

    def write(self, outcomes: Sequence[CrmOutcome], may_send: Callable[[], bool] = ..., /) -> list[CrmWriteResult]:
        """One result per outcome, in order; never raises for a single record's failure.

        The sink asks ``may_send`` before each request; when it says no, the records not sent get
        ``outcome.not_sent`` (``TRANSIENT``, reason ``time-budget``).
        """
        ...


class SyncStatusStore(Protocol):
    """The call records as the CRM-sync worker reads and settles them."""

    def current(self, conversation_ids: Sequence[str]) -> dict[str, CallRecord]:
        """The records as they are now (strongly consistent), by conversation id; missing ones absent."""
        ...

    def mark_synced(self, record: CallRecord, crm_id: str | None, contact_linked: bool | None = None) -> None:
        """Mark synced if the record is still at ``record.version``; else raise ``VersionConflict``.
        ``contact_linked``: whether the write carried the contact link (None: no linking configured)."""
        ...

    def mark_failed(self, conversation_id: str, reason: str) -> None:
        """Mark the record ``failed`` with the reason (its job goes to the dead-letter queue)."""
        ...

    def reopen(self, conversation_id: str) -> None:
        """Mark the record ``pending`` again: the CRM may hold an older version than a ``synced`` mark says."""
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

    def get(self, conversation_id: str) -> LedgerEntry | None:
        """The conversation's entry: which deployment and content are the latest."""
        ...

    def settle(self, conversation_id: str, deployment_id: str) -> None:
        """Mark the entry's run ended, if it is still this deployment's."""
        ...

    def forget(self, conversation_id: str, deployment_id: str) -> None:
        """Drop the entry after ``deployment_id``'s run failed, if it is still that run's."""
        ...

    def fail(self, conversation_id: str, deployment_id: str, reason: str) -> None:
        """Mark the entry's work item failed with the bot's reason, if it is still this item's."""
        ...


class QueueActions(Protocol):
    """What the worker does to a received CRM-sync message besides deleting it."""

    def delay(self, receipt_handle: str, seconds: float) -> None:
        """Make the message visible again after ``seconds``."""
        ...

    def dead_letter(self, body: str, reason: str, conversation_id: str | None) -> None:
        """Put the message on the dead-letter queue with the reason as an attribute."""
        ...


class StrandedRecords(Protocol):
    """The call records as the reconciler finds and re-queues them."""

    def stranded(self, call_dates: Sequence[str], quiet_since_ms: int) -> list[CallRecord]:
        """Pending records of those UTC days that nothing (ingest or re-queue) touched since then."""
        ...

    def mark_requeued(self, conversation_id: str, now_ms: int, quiet_since_ms: int) -> bool:
        """Claim one re-queue (conditional): False if it settled or another pass re-queued it since."""
        ...

    def unlinked(self, call_dates: Sequence[str], synced_before_ms: int, max_relinks: int) -> list[CallRecord]:
        """Records of those UTC days synced without a contact link before ``synced_before_ms``, relinked
        fewer than ``max_relinks`` times (issue 18)."""
        ...

    def reopen_for_relink(self, record: CallRecord, max_relinks: int) -> bool:
        """Make a synced, unlinked record ``pending`` again (its job comes from the stream), if it is still at
        ``record.version``, unlinked and under ``max_relinks``; False if it changed or another pass did."""
        ...


class ControlRoom(Protocol):
    """What the reconciler asks an RPA Control Room about a deployed run."""

    def run_status(self, deployment_id: str) -> str | None:
        """The run's status (``COMPLETED``, ``RUNNING``, ...), or None if unknown."""
        ...


class ContactDirectory(Protocol):
    """A CRM's customer records as a lookup sees them (``crm.salesforce_lookup``, ``crm.dynamics_lookup``)."""

    def find(self, query: LookupQuery, timeout_s: float) -> LookupResult:
        """The CRM's answer (found, notFound or ambiguous), no request outliving ``timeout_s``.

        Raises ``UpstreamFailure`` when the CRM did not answer (its status says whether a retry may help)
        and ``LookupUnsupported`` when this CRM is not configured to look up by ``query.kind``.
        """
        ...


class LookupCache(Protocol):
    """CRM answers kept for a while, under a salted hash of what was looked up."""

    def get(self, query: LookupQuery) -> LookupResult | None:
        """The answer kept for ``query`` and not yet expired; None otherwise. Raises ``TransientFailure``."""
        ...

    def put(self, query: LookupQuery, result: LookupResult) -> None:
        """Keep ``result`` for the cache's lifetime. Raises ``TransientFailure``."""
        ...
