"""Workitems from source systems: capture (exactly one Genesys workitem per source id), lifecycle changes,
Genesys events, and the close (stop the escalation, queue the sync-back).

Capture is idempotent without ever re-sending a create blindly: the row is claimed with a conditional
write before Genesys is called. A retry that finds a finished row answers with it; one that finds an
unfinished claim asks Genesys for a workitem with our ``externalTag`` and adopts it, and only when none
exists and the claim is older than ``claim_lease_s`` does it create (the first attempt's request died).
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cxbridge.core.errors import FieldError, InvalidRequest, TransientFailure, VersionConflict
from cxbridge.core.observability import logger
from cxbridge.workitems.models import CallbackJob, UpdateRequest
from cxbridge.workitems.sla import MAX_SLA_SECONDS
from cxbridge.workitems.workitem import (
    CaptureInProgress,
    EscalationState,
    LifecycleAction,
    NewTask,
    Phase,
    RejectedByGenesys,
    RetryLater,
    StatusCategory,
    TaskApiFailure,
    TaskApiRejected,
    TaskApiThrottled,
    TaskApiUnavailable,
    TaskChanges,
    TaskNotFound,
    WorkitemClosed,
    WorkitemNotFound,
    WorkitemRecord,
    check_custom_fields,
    observe,
    outcome_key,
    utc_iso,
    workitem_id,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from cxbridge.workitems.models import CaptureRequest, Sla, StatusChangeRequest, WorkitemEvent
    from cxbridge.workitems.ports import (
        CallbackQueue,
        EscalationScheduler,
        TaskManagement,
        WorkitemStore,
        WorktypeSource,
    )
    from cxbridge.workitems.workitem import WorkitemQuery, WorkitemSnapshot
    from cxbridge.workitems.worktype import WorktypeConfig

MAX_AHEAD = timedelta(seconds=MAX_SLA_SECONDS)
WRITE_ATTEMPTS = 5
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})


def execution_name(record: WorkitemRecord) -> str:
    """One execution name per workitem and generation (Step Functions refuses a second with the same)."""
    return f"{record.workitem_id}-{record.generation}"


def genesys_failure(exc: Exception) -> Exception:
    """A Task Management failure as the HTTP layer shows it: 503 + Retry-After, 400 or 502."""
    if isinstance(exc, TaskApiThrottled | TaskApiUnavailable):
        return RetryLater(f"genesys:{exc.reason}", exc.retry_after_s or 1.0)
    if isinstance(exc, TaskApiRejected):
        return RejectedByGenesys(exc.reason, exc.status)
    return exc


class Rows:
    """Read-change-write on workitem rows, again on a version conflict."""

    def __init__(self, store: WorkitemStore) -> None:
        self.store = store

    def get(self, workitem_id: str, owner: str | None = None) -> WorkitemRecord:
        """The row; with ``owner``, only if that caller owns it (another owner's id is not found, not forbidden,
        so ids tell a caller nothing)."""
        record = self.store.get(workitem_id)
        if record is None or (owner is not None and record.owner != owner):
            raise WorkitemNotFound(workitem_id)
        return record

    def change(self, workitem_id: str, change: Callable[[WorkitemRecord], WorkitemRecord]) -> WorkitemRecord:
        """Apply ``change`` to the row as it is now and store it; nothing is written when it changes nothing."""
        for _ in range(WRITE_ATTEMPTS):
            record = self.get(workitem_id)
            changed = change(record)
            if changed == record:
                return record
            try:
                return self.store.save(changed)
            except VersionConflict:
                continue
        raise TransientFailure(f"workitem {workitem_id} is changing too often")


class WorkitemCloser:
    """What happens once a workitem is closed: its escalation stops and its outcome is queued for the
    source system (once per workitem and final status: the queue's worker drops repeats)."""

    def __init__(self, rows: Rows, scheduler: EscalationScheduler | None, callbacks: CallbackQueue) -> None:
        self._rows = rows
        self._scheduler = scheduler
        self._callbacks = callbacks

    def settle(self, record: WorkitemRecord, snapshot: WorkitemSnapshot | None) -> WorkitemRecord:
        if not record.closed:
            return record
        if record.execution_arn and self._scheduler is not None:
            self._scheduler.stop(record.execution_arn)
        key = outcome_key(record)
        if record.callback_url is None or key in (record.sync_key, record.synced_key):
            return record
        self._callbacks.send(CallbackJob(workitemId=record.workitem_id, key=key, payload=_outcome(record, snapshot)))
        return self._rows.change(record.workitem_id, lambda r: replace(r, sync_key=key))


def _outcome(record: WorkitemRecord, snapshot: WorkitemSnapshot | None) -> dict[str, Any]:
    """The final attributes a source system gets back."""
    return {
        "workitemId": record.workitem_id,
        "owner": record.owner,
        "sourceId": record.source_id,
        "genesysWorkitemId": record.genesys_id,
        "worktype": record.worktype,
        "status": record.status_category.value,
        "statusId": record.status_id,
        "dateClosed": utc_iso(record.date_closed) if record.date_closed else None,
        "assigneeId": record.assignee_id,
        "queueId": record.queue_id,
        "workbinId": record.workbin_id,
        "priority": record.priority,
        "customFields": dict(snapshot.custom_fields or {}) if snapshot else {},
        "wrapupCode": snapshot.wrapup_code if snapshot else None,
    }


class WorkitemService:
    """The capture point's use cases. ``tasks`` is called only when a write reaches Genesys: a read never logs in."""

    def __init__(
        self,
        store: WorkitemStore,
        tasks: Callable[[], TaskManagement],
        scheduler: EscalationScheduler,
        closer: WorkitemCloser,
        worktypes: WorktypeSource,
        *,
        id_key: Callable[[], bytes],
        callback_hosts: frozenset[str] = frozenset(),
        claim_lease_s: float = 60.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._rows = Rows(store)
        self._tasks = tasks
        self._scheduler = scheduler
        self._closer = closer
        self._worktypes = worktypes
        self._id_key = id_key
        self._callback_hosts = callback_hosts
        self._lease_s = claim_lease_s
        self._clock = clock
        self._wall = wall

    # ---- capture ------------------------------------------------------------------------------------

    def capture(self, owner: str, request: CaptureRequest) -> tuple[WorkitemRecord, bool]:
        """The workitem for (owner, source id), created in Genesys if it is not yet; and whether this call
        finished creating it. ``owner`` is the calling client's id, from its token."""
        worktype = self._worktype(request.worktype, "worktype")
        now = self._clock()
        due = self._due(request.sla, now, worktype, "sla")
        expires = request.expiresAt or _default_expiry(worktype, due, now)
        errors = check_custom_fields(worktype.customFields, request.customFields, "customFields")
        errors += self._check_callback(request)
        errors += _check_expiry(expires, due, now, "expiresAt")
        if errors:
            raise InvalidRequest("invalid workitem", errors)
        priority = request.priority if request.priority is not None else worktype.defaultPriority
        record = WorkitemRecord(
            workitem_id=workitem_id(owner, request.sourceId, self._id_key()),
            owner=owner,
            source_id=request.sourceId,
            worktype=request.worktype,
            type_id=worktype.typeId,
            name=request.name,
            base_priority=priority,
            priority=priority,
            date_created=now,
            date_due=due,
            date_expires=expires,
            phase=Phase.CREATING,
            claimed_at=self._wall(),
            callback_url=str(request.callbackUrl) if request.callbackUrl else None,
            queue_id=worktype.queueId,
            workbin_id=worktype.workbinId,
        )
        task = _new_task(request, worktype, priority, due, expires)
        try:
            row, claimed = self._rows.store.create(record)
        except VersionConflict:
            raise CaptureInProgress(1.0) from None
        if claimed:
            return self._create(row, task), True
        if row.phase is Phase.CREATED:
            return self._ensure_escalation(row), False
        return self._resume(row, task), True

    def _resume(self, claim: WorkitemRecord, task: NewTask) -> WorkitemRecord:
        """An unfinished claim: adopt the workitem the earlier attempt created, or take the claim over."""
        try:
            found = self._tasks().find_by_external_tag(claim.type_id, claim.source_id)
        except (TaskApiThrottled, TaskApiUnavailable, TaskApiRejected) as exc:
            raise genesys_failure(exc) from None
        if found is not None:
            logger.info("capture adopted an existing Genesys workitem", extra={"workitemId": claim.workitem_id})
            return self._created(claim, found)
        age = self._wall() - claim.claimed_at
        if age < self._lease_s:
            raise CaptureInProgress(max(1.0, self._lease_s - age))
        try:
            taken = self._rows.store.save(replace(claim, claimed_at=self._wall()))
        except VersionConflict:
            raise CaptureInProgress(1.0) from None
        return self._create(taken, task)

    def _create(self, claim: WorkitemRecord, task: NewTask) -> WorkitemRecord:
        try:
            snapshot = self._tasks().create(task)
        except (TaskApiThrottled, TaskApiRejected) as exc:
            self._release(claim)  # certainly not created: the next attempt may create
            raise genesys_failure(exc) from None
        except TaskApiUnavailable as exc:
            if not exc.maybe_applied:
                self._release(claim)
            raise genesys_failure(exc) from None
        return self._created(claim, snapshot)

    def _release(self, claim: WorkitemRecord) -> None:
        try:
            self._rows.store.delete(claim)
        except (VersionConflict, TransientFailure):
            logger.warning("capture claim not released", extra={"workitemId": claim.workitem_id})

    def _created(self, claim: WorkitemRecord, snapshot: WorkitemSnapshot) -> WorkitemRecord:
        def finish(row: WorkitemRecord) -> WorkitemRecord:
            if row.phase is Phase.CREATED:
                return row
            created = snapshot.date_created or row.date_created
            return observe(replace(row, phase=Phase.CREATED, date_created=created), snapshot)

        return self._ensure_escalation(self._rows.change(claim.workitem_id, finish))

    def _ensure_escalation(self, record: WorkitemRecord) -> WorkitemRecord:
        """Start the escalation execution of an open, unpaused workitem that has none (again after a crash)."""
        if record.closed or record.paused or record.phase is not Phase.CREATED or record.execution_arn:
            return record
        worktype = self._worktypes.get(record.worktype)
        if worktype is None:
            logger.warning("worktype no longer mapped; no escalation", extra={"workitemId": record.workitem_id})
            return record
        ladder = worktype.ladder()
        step = ladder.next_step(record.last_step)
        if step is None:
            return record
        at = ladder.schedule(record.date_created, record.date_due)[step]
        state = EscalationState(record.workitem_id, record.generation, step, at)
        arn = self._scheduler.start(execution_name(record), state)
        generation = record.generation
        return self._rows.change(
            record.workitem_id,
            lambda r: replace(r, execution_arn=arn) if r.generation == generation and not r.execution_arn else r,
        )

    # ---- reading ------------------------------------------------------------------------------------

    def get(self, owner: str, workitem_id: str) -> WorkitemRecord:
        return self._rows.get(workitem_id, owner)

    def page(self, query: WorkitemQuery) -> tuple[list[WorkitemRecord], str | None]:
        if query.queue_id is None and query.status is None:
            problem = "give queue or status (or both)"
            raise InvalidRequest("missing filter", [FieldError("queue", problem), FieldError("status", problem)])
        return self._rows.store.page(query)

    # ---- lifecycle ----------------------------------------------------------------------------------

    def change(self, owner: str, workitem_id: str, request: UpdateRequest | StatusChangeRequest) -> WorkitemRecord:
        """Apply the owner's lifecycle action; repeating one (pause a paused item) changes nothing."""
        record = self._rows.get(workitem_id, owner)
        if record.phase is not Phase.CREATED or record.genesys_id is None:
            raise CaptureInProgress(1.0)
        if record.closed:
            raise WorkitemClosed(workitem_id)
        action = LifecycleAction(request.action)
        toggles = (LifecycleAction.PAUSE, LifecycleAction.RESUME)
        if action in toggles and (action is LifecycleAction.PAUSE) == record.paused:
            return record  # already paused / not paused
        changes, reschedule = self._changes(record, request, self._worktype(record.worktype, "action"))
        if changes.empty():
            return record
        try:
            snapshot = self._tasks().update(record.genesys_id, changes)
        except (TaskApiThrottled, TaskApiUnavailable, TaskApiRejected) as exc:
            raise genesys_failure(exc) from None
        updated = self._rows.change(workitem_id, _after(request, snapshot, reschedule))
        if updated.closed:
            return self._closer.settle(updated, snapshot)
        if record.execution_arn and updated.execution_arn is None:
            self._scheduler.stop(record.execution_arn)  # the generation check ends it anyway; this saves a step
        return self._ensure_escalation(updated)

    def _changes(
        self, record: WorkitemRecord, request: UpdateRequest | StatusChangeRequest, worktype: WorktypeConfig
    ) -> tuple[TaskChanges, bool]:
        """The Genesys fields a request changes, and whether the escalation must be rescheduled."""
        if not isinstance(request, UpdateRequest):
            statuses = worktype.statuses
            status = {"pause": statuses.paused, "resume": statuses.open, "cancel": statuses.cancelled}
            return TaskChanges(status_id=status.get(request.action, statuses.completed)), False
        now = self._clock()
        due = self._due(request.sla, now, worktype, "sla") if request.sla else None
        errors = check_custom_fields(worktype.customFields, request.customFields or {}, "customFields")
        if request.expiresAt is not None:
            errors += _check_expiry(request.expiresAt, due or record.date_due, now, "expiresAt")
        if errors:
            raise InvalidRequest("invalid update", errors)
        changes = TaskChanges(
            name=request.name,
            description=request.description,
            priority=request.priority,
            date_due=due,
            date_expires=request.expiresAt,
            custom_fields=request.customFields,
        )
        return changes, due is not None and due != record.date_due

    # ---- checks -------------------------------------------------------------------------------------

    def _worktype(self, key: str, field: str) -> WorktypeConfig:
        worktype = self._worktypes.get(key)
        if worktype is None:
            raise InvalidRequest("unknown worktype", [FieldError(field, f"no worktype {key!r} is mapped")])
        return worktype

    def _due(self, sla: Sla | None, now: datetime, worktype: WorktypeConfig, field: str) -> datetime:
        if sla is None:
            return now + timedelta(seconds=worktype.slaSeconds)
        if sla.durationSeconds is not None:
            return now + timedelta(seconds=sla.durationSeconds)
        due = sla.dueAt.astimezone(UTC) if sla.dueAt else now
        if not now < due <= now + MAX_AHEAD:
            raise InvalidRequest("invalid SLA", [FieldError(f"{field}.dueAt", "must be in the next 365 days")])
        return due

    def _check_callback(self, request: CaptureRequest) -> list[FieldError]:
        """Only HTTPS to an allowed host (plain HTTP to this machine, for local runs), so the sync-back
        cannot be aimed at an internal address."""
        if request.callbackUrl is None:
            return []
        url = urlsplit(str(request.callbackUrl))
        host = (url.hostname or "").lower()
        if host not in self._callback_hosts:
            return [FieldError("callbackUrl", "host is not in the allowed callback hosts")]
        if url.scheme != "https" and host not in LOCAL_HOSTS:
            return [FieldError("callbackUrl", "must be https")]
        return []


def _after(
    request: UpdateRequest | StatusChangeRequest, snapshot: WorkitemSnapshot, reschedule: bool
) -> Callable[[WorkitemRecord], WorkitemRecord]:
    """The row change a lifecycle action makes once Genesys has applied it: its state, the new base
    priority, the pause flag, and a new generation when the escalation must start over."""
    paused = {"pause": True, "resume": False}.get(request.action)

    def apply(row: WorkitemRecord) -> WorkitemRecord:
        row = observe(row, snapshot)
        if isinstance(request, UpdateRequest) and request.priority is not None:
            row = replace(row, base_priority=request.priority)
        if paused is not None:
            row = replace(row, paused=paused)
        if reschedule or paused is not None:
            row = replace(row, generation=row.generation + 1, execution_arn=None)
        return row

    return apply


def _default_expiry(worktype: WorktypeConfig, due: datetime, now: datetime) -> datetime | None:
    if worktype.expiresAfterDueSeconds is None:
        return None
    return min(due + timedelta(seconds=worktype.expiresAfterDueSeconds), now + MAX_AHEAD)


def _check_expiry(expires: datetime | None, due: datetime, now: datetime, field: str) -> list[FieldError]:
    if expires is not None and not due <= expires <= now + MAX_AHEAD:
        return [FieldError(field, "must be after the due date and in the next 365 days")]
    return []


def _new_task(
    request: CaptureRequest, worktype: WorktypeConfig, priority: int, due: datetime, expires: datetime | None
) -> NewTask:
    customer = request.customer
    return NewTask(
        name=request.name,
        type_id=worktype.typeId,
        priority=priority,
        date_due=due,
        date_expires=expires,
        external_tag=request.sourceId,
        queue_id=worktype.queueId,
        workbin_id=worktype.workbinId,
        skill_ids=tuple(worktype.skillIds),
        description=request.description,
        custom_fields=request.customFields or None,
        external_contact_id=str(customer.externalContactId) if customer and customer.externalContactId else None,
        language_id=str(customer.languageId) if customer and customer.languageId else None,
        preferred_agent_ids=tuple(str(a) for a in customer.preferredAgentIds) if customer else (),
    )


class WorkitemEventService:
    """Genesys workitem events: the row follows the newest state; a close settles the workitem.

    An event is a hint, Genesys is the truth: before a close stops the escalation and syncs the outcome
    back, the workitem is read from Genesys and what Genesys says is applied, so a forged ``Closed`` event
    (or forged ``customFields``) changes nothing and calls nobody back. ``tasks`` is called only then, so
    the other events need no Genesys login.
    """

    def __init__(self, store: WorkitemStore, closer: WorkitemCloser, tasks: Callable[[], TaskManagement]) -> None:
        self._rows = Rows(store)
        self._closer = closer
        self._tasks = tasks

    def apply(self, event: WorkitemEvent) -> tuple[str | None, str]:
        """Our workitem id (None if the workitem is not ours) and the outcome: applied, stale or unknown."""
        workitem = self._rows.store.find_by_genesys_id(event.id)
        if workitem is None:
            return None, "unknown"
        snapshot = event.snapshot()
        if snapshot.status_category is StatusCategory.CLOSED:
            try:
                snapshot = self._tasks().get(event.id)
            except TaskNotFound:  # Genesys has no such workitem: the event was not Genesys'
                return workitem, "unconfirmed"
            except TaskApiFailure as exc:
                raise genesys_failure(exc) from None
        applied = False

        def merge(row: WorkitemRecord) -> WorkitemRecord:
            nonlocal applied
            merged = observe(row, snapshot)
            applied = merged != row
            return merged

        record = self._rows.change(workitem, merge)
        self._closer.settle(record, snapshot)
        return workitem, "applied" if applied else "stale"
