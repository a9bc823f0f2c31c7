"""Write call outcomes to the CRM exactly once per conversation, whatever the CRM does under load.

The worker hands this service a batch of queued jobs; the service answers, per message, whether it is
done, must come back later (and after how long), or goes to the dead-letter queue (and why). It reads
the call record as it is now (the job only says "sync this conversation"), skips calls already synced,
writes the rest through one ``CrmSink`` call per batch, and marks each record ``synced`` or ``failed``.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from cxbridge.calls.record import SyncStatus
from cxbridge.core.errors import VersionConflict
from cxbridge.core.upstream import UpstreamFailure, WriteStatus, backoff_delay
from cxbridge.crm.breaker import BreakerPolicy, after_calls
from cxbridge.crm.outcome import TIME_BUDGET, CrmOutcome, CrmWriteResult, record_content

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cxbridge.calls.record import CallRecord
    from cxbridge.crm.breaker import BreakerState
    from cxbridge.crm.contact_link import ContactLinker
    from cxbridge.crm.job import CrmJob
    from cxbridge.crm.ports import BreakerStore, CrmSink, SyncStatusStore
    from cxbridge.genesys.ports import DispositionResolver

__all__ = ["TIME_BUDGET", "Action", "CrmSyncService", "Decision", "RetryPolicy", "SyncItem"]

# Left after the last request for settling its records and answering the batch (DynamoDB, SQS).
SETTLE_RESERVE_S = 2.0


class Action(StrEnum):
    """What the worker does with a message."""

    DONE = "done"  # delete it
    RETRY = "retry"  # make it visible again after ``delay_s``
    DEAD_LETTER = "dead_letter"  # move it to the dead-letter queue with ``reason``


@dataclass(frozen=True, slots=True)
class SyncItem:
    """One received CRM-sync message."""

    message_id: str
    job: CrmJob
    receive_count: int


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    delay_s: float = 0.0
    reason: str | None = None
    throttled: bool = False  # the CRM asked us to slow down (for metrics)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff for retryable failures, and how many receives a message gets before we dead-letter it."""

    base_s: float = 2.0
    cap_s: float = 900.0
    max_receives: int = 10


@dataclass(frozen=True, slots=True)
class _Stop:
    """Why a batch's remaining writes were not made, and how long they wait."""

    reason: str
    delay_s: float | None = None
    throttled: bool = False


def _seconds(ms: int | None) -> int | None:
    return None if ms is None else round(ms / 1000)


class CrmSyncService:
    """One batch of jobs in, one decision per message out."""

    def __init__(
        self,
        sink: CrmSink,
        records: SyncStatusStore,
        resolver: DispositionResolver,
        breaker: BreakerStore,
        *,
        breaker_policy: BreakerPolicy | None = None,
        retry: RetryPolicy | None = None,
        request_timeout_s: float = 5.0,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.time,
        linker: ContactLinker | None = None,
    ) -> None:
        """``request_timeout_s`` is the sink's per-request timeout: the time a request may still take;
        ``linker`` (issue 18) finds each call's CRM contact, written in the same upsert (``contact_id``)."""
        self._sink = sink
        self._records = records
        self._resolver = resolver
        self._breaker = breaker
        self._breaker_policy = breaker_policy or BreakerPolicy()
        self._retry = retry or RetryPolicy()
        self._rand = rand
        self._clock = clock
        self._reserve_ms = (request_timeout_s + SETTLE_RESERVE_S) * 1000
        self.crm_requests = 0  # write requests made, for metrics and the benchmark
        self._jitter = rand()
        self._linker = linker

    # ---- decisions ---------------------------------------------------------------------------------

    def _again(self, item: SyncItem, reason: str, retry_after_s: float | None = None) -> Decision:
        """Retry later with backoff, or dead-letter with the last reason once the receives are used up."""
        if item.receive_count >= self._retry.max_receives:
            return Decision(Action.DEAD_LETTER, reason=f"retries-exhausted:{reason}")
        jitter = self._jitter
        delay = backoff_delay(
            item.receive_count - 1, self._retry.base_s, self._retry.cap_s, retry_after_s, lambda: jitter
        )
        return Decision(Action.RETRY, delay_s=delay, reason=reason)

    def _outcome(self, record: CallRecord) -> CrmOutcome:
        code = record.wrapup_code_id
        name = self._resolver.resolve(code) if code else record.disposition_name
        return CrmOutcome(
            conversation_id=record.conversation_id,
            disposition=name,
            wrapup_code_id=code,
            user_id=record.user_id,
            queue_id=record.queue_id,
            media_type=record.media_type,
            direction=record.direction,
            talk_s=_seconds(record.talk_ms),
            held_s=_seconds(record.held_ms),
            acw_s=_seconds(record.acw_ms),
            handle_s=_seconds(record.handle_ms),
            call_date=record.call_date,
            disposition_time=record.disposition_time,
            content=record_content(record),
        )

    # ---- the batch ---------------------------------------------------------------------------------

    def sync(self, items: Sequence[SyncItem], remaining_ms: Callable[[], int] | None = None) -> dict[str, Decision]:
        """A decision for every message id in ``items``.

        One jitter draw per batch: the messages of a failed request come back together and are written
        in one request again, while different batches (and workers) still spread out. ``remaining_ms``
        is the invocation's time left: no request starts that might outlive it (``time-budget``, back on
        the queue at once), and each request's records are settled as soon as it answers, so an
        invocation cut short never writes them again.
        """
        self._jitter = self._rand()
        decisions, due = self._triage(items)
        due.sort(key=lambda pair: -pair[0].receive_count)  # the ones deferred before go first

        def may_send() -> bool:
            return remaining_ms is None or remaining_ms() >= self._reserve_ms

        start, stop = 0, self._stop([], self._breaker.load())
        while start < len(due) and stop is None:
            if not may_send():
                stop = _Stop(TIME_BUDGET)
                break
            chunk, start = due[start : start + self._sink.max_batch], start + self._sink.max_batch
            results = self._write_chunk(chunk, decisions, may_send)
            stop = self._stop(results, self._count(results))
        if stop is not None:
            for item, record in due[start:]:
                decisions[item.message_id] = self._defer(item, record, stop)
        return decisions

    def _stop(self, results: Sequence[CrmWriteResult], breaker: BreakerState) -> _Stop | None:
        """Why the batch's remaining writes must wait, if they must: a 429, or an open breaker."""
        throttled = [r for r in results if r.status is WriteStatus.THROTTLED]
        if throttled:  # the CRM said slow down: the rest waits at least as long
            retry_after = max(r.retry_after_s or 0.0 for r in throttled)
            return _Stop(throttled[0].reason or str(WriteStatus.THROTTLED), retry_after, throttled=True)
        now = self._clock()
        if breaker.is_open(now):
            return _Stop("breaker-open", breaker.remaining(now))
        return None

    def _defer(self, item: SyncItem, record: CallRecord, stop: _Stop) -> Decision:
        if stop.reason == TIME_BUDGET:
            return Decision(Action.RETRY, reason=TIME_BUDGET)  # back on the queue at once
        return replace(self._later(item, record, stop.reason, stop.delay_s), throttled=stop.throttled)

    def _count(self, results: Sequence[CrmWriteResult]) -> BreakerState:
        """Count one request's answer toward the shared breaker at once; return the breaker's state.

        The breaker counts requests, not records: one throttled request of 200 records is one failure.
        A request with any throttled or failed record is a failure, so it never closes the breaker
        because some other record in it got through; records left unsent for time count for nothing.
        """
        failed = any(
            r.status in {WriteStatus.THROTTLED, WriteStatus.TRANSIENT} and r.reason != TIME_BUDGET for r in results
        )
        succeeded = any(r.status in {WriteStatus.WRITTEN, WriteStatus.SUBMITTED} for r in results)
        if not (failed or succeeded):
            return self._breaker.load()
        policy, now = self._breaker_policy, self._clock()
        return self._breaker.update(
            lambda s: after_calls(s, policy, successes=int(succeeded and not failed), failures=int(failed), now=now)
        )

    def _write_chunk(
        self,
        chunk: Sequence[tuple[SyncItem, CallRecord]],
        decisions: dict[str, Decision],
        may_send: Callable[[], bool],
    ) -> list[CrmWriteResult]:
        """Write one request's records and settle each as soon as it answers; return the answers."""
        to_write: list[tuple[SyncItem, CallRecord, CrmOutcome]] = []
        for item, record in chunk:
            try:
                to_write.append((item, record, self._outcome(record)))
            except UpstreamFailure as exc:
                decisions[item.message_id] = self._later(item, record, f"genesys:{exc.reason}", exc.retry_after_s)
        if not to_write:
            return []
        if self._linker is not None:
            contacts = self._linker.contacts([record.conversation_id for _, record, _ in to_write])
            to_write = [(i, r, replace(o, contact_id=contacts[r.conversation_id])) for i, r, o in to_write]
        results = self._write([outcome for _, _, outcome in to_write], may_send)
        for (item, record, outcome), result in zip(to_write, results, strict=True):
            # Whether the CRM's copy carries the link: an unlinked one is relinked later (the reconciler).
            linked = None if self._linker is None else outcome.contact_id is not None
            decisions[item.message_id] = self._settle(item, record, result, linked)
        return results

    def _triage(self, items: Sequence[SyncItem]) -> tuple[dict[str, Decision], list[tuple[SyncItem, CallRecord]]]:
        """Settle what needs no CRM call (copies, missing or already synced records); return the rest."""
        leaders: dict[str, SyncItem] = {}
        decisions: dict[str, Decision] = {}
        for item in items:  # one write per conversation; later copies of a job ride on the first
            if item.job.conversationId in leaders:
                decisions[item.message_id] = Decision(Action.DONE, reason="duplicate-in-batch")
            else:
                leaders[item.job.conversationId] = item
        records = self._records.current(list(leaders))
        due: list[tuple[SyncItem, CallRecord]] = []
        for cid, item in leaders.items():
            record = records.get(cid)
            if record is None:
                decisions[item.message_id] = Decision(Action.DEAD_LETTER, reason="call-record-missing")
            elif record.sync_status is SyncStatus.SYNCED or record.disposition is None:
                decisions[item.message_id] = Decision(Action.DONE, reason="nothing-to-sync")
            else:
                due.append((item, record))
        return decisions, due

    def _later(self, item: SyncItem, record: CallRecord, reason: str, retry_after_s: float | None = None) -> Decision:
        """Retry with backoff; once the receives are used up, dead-letter and mark the record failed."""
        decision = self._again(item, reason, retry_after_s)
        if decision.action is Action.DEAD_LETTER:
            self._records.mark_failed(record.conversation_id, decision.reason or reason)
        return decision

    def _write(self, outcomes: list[CrmOutcome], may_send: Callable[[], bool]) -> list[CrmWriteResult]:
        """One write (the caller keeps to the sink's ``max_batch``)."""
        self.crm_requests += 1
        try:
            return self._sink.write(outcomes, may_send)
        except UpstreamFailure as exc:
            return [CrmWriteResult(o.conversation_id, exc.status, exc.retry_after_s, exc.reason) for o in outcomes]

    def _settle(
        self, item: SyncItem, record: CallRecord, result: CrmWriteResult, contact_linked: bool | None = None
    ) -> Decision:
        reason = result.reason or str(result.status)
        if reason == TIME_BUDGET:  # not sent: back on the queue at once
            return Decision(Action.RETRY, reason=TIME_BUDGET)
        match result.status:
            case WriteStatus.WRITTEN:
                try:
                    self._records.mark_synced(record, result.crm_id, contact_linked)
                except VersionConflict:  # the call changed while we wrote it: write it again soon
                    # Reopened, so a newer version another worker wrote and marked before our (older)
                    # write landed is not left "synced" while the CRM holds ours.
                    self._records.reopen(record.conversation_id)
                    return self._later(item, record, "record-changed")
                return Decision(Action.DONE)
            case WriteStatus.SUBMITTED:
                return Decision(Action.DONE, reason="bot-deployed")  # the bot's callback settles the record
            case WriteStatus.PERMANENT:
                self._records.mark_failed(record.conversation_id, reason)
                return Decision(Action.DEAD_LETTER, reason=reason)
            case _:
                decision = self._later(item, record, reason, result.retry_after_s)
                return replace(decision, throttled=result.status is WriteStatus.THROTTLED)
