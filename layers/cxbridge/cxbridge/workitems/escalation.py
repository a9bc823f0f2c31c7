"""One step of a workitem's escalation ladder, as the state machine's Lambda task runs it.

The state machine has already checked our row (no Lambda runs for a closed workitem). The step asks
Genesys for the workitem's own state first, since an event may be late or lost: a workitem closed in
Genesys is settled here and the execution ends. Otherwise it sets the priority the formula gives for now
(plus the boosts of the steps run so far), moves the workitem if the step says so, notifies supervisors
on a notifying step, records the step, and returns the state of the next one. A step that was already
run (a retried task) has no effect; a step Genesys refuses (a bad queue id in the mapping) is logged,
counted and skipped, so one bad rung does not stop the rest of the ladder.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cxbridge.core.observability import logger
from cxbridge.workitems.service import Rows
from cxbridge.workitems.workitem import (
    EscalationState,
    Phase,
    StatusCategory,
    SupervisorAlert,
    TaskApiRejected,
    TaskChanges,
    TaskNotFound,
    observe,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from cxbridge.workitems.ports import SupervisorNotifier, TaskManagement, WorkitemStore, WorktypeSource
    from cxbridge.workitems.service import WorkitemCloser
    from cxbridge.workitems.sla import Ladder
    from cxbridge.workitems.workitem import WorkitemRecord


class EscalationService:
    """Runs ladder steps."""

    def __init__(
        self,
        store: WorkitemStore,
        tasks: TaskManagement,
        worktypes: WorktypeSource,
        notifier: SupervisorNotifier,
        closer: WorkitemCloser,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._rows = Rows(store)
        self._tasks = tasks
        self._worktypes = worktypes
        self._notifier = notifier
        self._closer = closer
        self._clock = clock

    def run_step(self, workitem_id: str, generation: int, step: int) -> EscalationState:
        """Run step ``step`` of generation ``generation``; the answer is the next state (``done`` at the end)."""
        now = self._clock()
        finished = EscalationState(workitem_id, generation, step, now, done=True)
        record = self._rows.store.get(workitem_id)
        if record is None or not self._current(record, generation):
            return finished
        worktype = self._worktypes.get(record.worktype)
        if worktype is None or record.genesys_id is None:
            return finished
        ladder = worktype.ladder()
        if step >= len(ladder.steps):
            return finished
        if step > record.last_step:
            after = self._run(record, ladder, step, now)
            if after is None or not self._current(after, generation):
                return finished
            record = after
        following = ladder.next_step(step)
        if following is None:
            return finished
        at = ladder.schedule(record.date_created, record.date_due)[following]
        return EscalationState(workitem_id, generation, following, at)

    @staticmethod
    def _current(record: WorkitemRecord, generation: int) -> bool:
        return (
            record.phase is Phase.CREATED
            and record.generation == generation
            and not record.closed
            and not record.paused
        )

    def _run(self, record: WorkitemRecord, ladder: Ladder, step: int, now: datetime) -> WorkitemRecord | None:
        """The row after the step; None when the ladder ends here (the workitem is gone from Genesys)."""
        gid = str(record.genesys_id)
        rung = ladder.steps[step]
        try:
            snapshot = self._tasks.get(gid)
        except TaskNotFound:
            logger.warning("workitem gone from Genesys; escalation ends", extra={"workitemId": record.workitem_id})
            return None
        if snapshot.status_category is StatusCategory.CLOSED:
            closed = self._rows.change(record.workitem_id, lambda r: observe(r, snapshot))
            return self._closer.settle(closed, snapshot)
        priority = ladder.priority_at(record.base_priority, record.date_created, record.date_due, now, step)
        changes = TaskChanges(priority=priority, queue_id=rung.queue_id, workbin_id=rung.workbin_id)
        try:
            snapshot = self._tasks.update(gid, changes)
        except TaskApiRejected as exc:
            logger.error(
                "escalation step refused by Genesys; skipped",
                extra={"workitemId": record.workitem_id, "step": rung.name, "reason": exc.reason},
            )
        if rung.notify:
            self._notifier.notify(
                SupervisorAlert(
                    record.workitem_id, gid, record.worktype, rung.name, record.date_due, rung.queue_id, rung.workbin_id
                )
            )
        logger.info("escalation step run", extra={"workitemId": record.workitem_id, "step": rung.name})
        generation = record.generation

        def done(row: WorkitemRecord) -> WorkitemRecord:
            if row.generation != generation:
                return row
            return replace(observe(row, snapshot), last_step=max(row.last_step, step))

        return self._rows.change(record.workitem_id, done)
