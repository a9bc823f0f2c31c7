"""Find call outcomes no path is still carrying, and carry them again.

A job can leave the queue without the worker settling its record: a redrive after timeouts, stream
retries exhausted before the job was queued, a bot callback that never comes. Such a record stays
``pending``, and a later change queues nothing (a job is queued when a call *becomes* pending). The
reconciler runs on a schedule and takes every record pending for longer than the worst case of its
path; a deployed bot's run is asked for in the Control Room and settled like its callback would; any
other record gets one new job, claimed by a conditional marker so concurrent passes queue one.

With contact linking (issue 18), it also reopens calls synced **without** their contact link (no match
then, or the lookup or Genesys failed) once ``RelinkPolicy.after_s`` has passed (by default the lookup
cache's lifetime, so a cached "not found" has expired), at most ``max_relinks`` times per call and
``max_per_run`` per pass, within the lookback days. Reopening is a conditional write on the version read
(still synced, still unlinked): the record turns ``pending``, the stream queues its job, and the worker
writes the call as it is then, with the link if the lookup now finds one, in the same upsert by its
external id; ``synced`` is marked on that version only. So the CRM holds the call once, and a record
never says ``synced`` for a version the CRM does not hold.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cxbridge.core.errors import TransientFailure, VersionConflict
from cxbridge.core.observability import logger
from cxbridge.crm.bot_callback import UnknownDeployment
from cxbridge.crm.job import CrmJob
from cxbridge.crm.outcome import RUN_COMPLETED, RUN_FAILED

if TYPE_CHECKING:
    from collections.abc import Callable

    from cxbridge.calls.record import CallRecord
    from cxbridge.crm.bot_callback import BotCallbackService
    from cxbridge.crm.ports import BotRunLedger, ControlRoom, JobQueue, StrandedRecords
    from cxbridge.crm.sync import RetryPolicy


def worst_case_s(retry: RetryPolicy, bot_run_budget_s: float) -> float:
    """How long a record can stay pending while a path still carries it: every receive waiting the
    backoff cap, then a bot run's budget."""
    return retry.max_receives * retry.cap_s + bot_run_budget_s


@dataclass(frozen=True, slots=True)
class BotPath:
    """A deployed bot's run, asked for in the Control Room and settled through the callback's service."""

    ledger: BotRunLedger
    control_room: ControlRoom
    callback: BotCallbackService


@dataclass(frozen=True, slots=True)
class RelinkPolicy:
    """When a call synced without its contact link is tried again, and how often (issue 18)."""

    after_s: float = 3600.0
    max_relinks: int = 3
    max_per_run: int = 500


@dataclass
class ReconcileReport:
    """Records found stranded, how many were settled from the Control Room or re-queued, and how many
    unlinked calls were reopened for their contact link."""

    stranded: int = 0
    settled: int = 0
    requeued: int = 0
    relinked: int = 0

    @property
    def reconciled(self) -> int:
        return self.settled + self.requeued


class Reconciler:
    def __init__(
        self,
        records: StrandedRecords,
        jobs: JobQueue,
        *,
        worst_case_s: float,
        lookback_days: int = 2,
        bots: BotPath | None = None,
        relink: RelinkPolicy | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``lookback_days`` are the UTC call dates searched (a record is found by its last event's day);
        ``relink``: reopen unlinked calls (only with contact linking configured)."""
        self._records = records
        self._relink = relink
        self._jobs = jobs
        self._worst_case_s = worst_case_s
        self._lookback_days = lookback_days
        self._bots = bots
        self._clock = clock

    def run(self) -> ReconcileReport:
        now = self._clock()
        today = datetime.fromtimestamp(now, tz=UTC).date()
        days = [(today - timedelta(days=n)).isoformat() for n in range(self._lookback_days)]
        quiet_since_ms = int((now - self._worst_case_s) * 1000)
        report = ReconcileReport()
        for record in self._records.stranded(days, quiet_since_ms):
            report.stranded += 1
            if self._settled_by_bot(record):
                report.settled += 1
            elif self._records.mark_requeued(record.conversation_id, int(now * 1000), quiet_since_ms):
                self._jobs.send(CrmJob.from_record(record))
                report.requeued += 1
        if self._relink is not None:
            report.relinked = self._reopen_unlinked(days, now, self._relink)
        return report

    def _reopen_unlinked(self, days: list[str], now: float, policy: RelinkPolicy) -> int:
        synced_before_ms = int((now - policy.after_s) * 1000)
        reopened = 0
        for record in self._records.unlinked(days, synced_before_ms, policy.max_relinks):
            if reopened >= policy.max_per_run:
                break  # the next pass takes the rest
            try:
                if self._records.reopen_for_relink(record, policy.max_relinks):
                    reopened += 1
            except TransientFailure:
                logger.warning("relink not claimed", extra={"conversationId": record.conversation_id})
        return reopened

    def _settled_by_bot(self, record: CallRecord) -> bool:
        """Settle from the Control Room a run whose callback never came; False if there is none to settle."""
        if self._bots is None:
            return False
        entry = self._bots.ledger.get(record.conversation_id)
        if entry is None or entry.deployment_id is None or entry.settled:
            return False
        status = self._bots.control_room.run_status(entry.deployment_id)
        if status is None or (status not in RUN_COMPLETED and status not in RUN_FAILED):
            return False  # still running, or unknown: a new job asks again when it comes
        try:
            self._bots.callback.settle(entry.deployment_id, status)
        except (UnknownDeployment, VersionConflict):  # its lookup entry expired, or the record kept changing
            return False  # a new job settles it instead
        return True
