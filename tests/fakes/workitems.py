"""In-memory implementations of the workitem ports, for service tests (same contracts as the real ones)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cxbridge.core.errors import VersionConflict
from cxbridge.workitems.workitem import StatusCategory, TaskNotFound, WorkitemSnapshot

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from cxbridge.workitems.models import CallbackJob
    from cxbridge.workitems.workitem import (
        EscalationState,
        NewTask,
        SupervisorAlert,
        TaskChanges,
        WorkitemQuery,
        WorkitemRecord,
    )


class InMemoryWorkitemStore:
    """``WorkitemStore`` in a dict, with the same conditional-write rules."""

    def __init__(self) -> None:
        self.rows: dict[str, WorkitemRecord] = {}

    def create(self, record: WorkitemRecord) -> tuple[WorkitemRecord, bool]:
        if record.workitem_id in self.rows:
            return self.rows[record.workitem_id], False
        stored = replace(record, version=record.version + 1)
        self.rows[record.workitem_id] = stored
        return stored, True

    def get(self, workitem_id: str) -> WorkitemRecord | None:
        return self.rows.get(workitem_id)

    def save(self, record: WorkitemRecord) -> WorkitemRecord:
        current = self.rows.get(record.workitem_id)
        if current is None or current.version != record.version:
            raise VersionConflict(record.workitem_id)
        stored = replace(record, version=record.version + 1)
        self.rows[record.workitem_id] = stored
        return stored

    def delete(self, record: WorkitemRecord) -> None:
        current = self.rows.get(record.workitem_id)
        if current is None or current.version != record.version:
            raise VersionConflict(record.workitem_id)
        del self.rows[record.workitem_id]

    def find_by_genesys_id(self, genesys_id: str) -> str | None:
        return next((r.workitem_id for r in self.rows.values() if r.genesys_id == genesys_id), None)

    def page(self, query: WorkitemQuery) -> tuple[list[WorkitemRecord], str | None]:
        rows = [
            r
            for r in self.rows.values()
            if (query.queue_id is None or r.queue_id == query.queue_id)
            and (query.status is None or r.status_category is query.status)
            and (query.due_before is None or r.date_due < query.due_before)
        ]
        return sorted(rows, key=lambda r: r.date_due)[: query.limit], None


@dataclass
class InMemoryTasks:
    """``TaskManagement`` in a dict. ``failures`` holds (call, error, applied): the next ``call`` (create,
    get, update, find) raises ``error``, after taking effect when ``applied`` (a timeout after Genesys acted)."""

    workitems: dict[str, WorkitemSnapshot] = field(default_factory=dict)
    tags: dict[tuple[str, str], str] = field(default_factory=dict)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    failures: list[tuple[str, Exception, bool]] = field(default_factory=list)
    statuses: Mapping[str, StatusCategory] = field(default_factory=dict)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def _fail(self, call: str, *, applied: bool) -> None:
        if self.failures and self.failures[0][0] == call and self.failures[0][2] is applied:
            raise self.failures.pop(0)[1]

    def create(self, task: NewTask) -> WorkitemSnapshot:
        self.calls.append(("create", task))
        self._fail("create", applied=False)
        now = self.clock()
        snapshot = WorkitemSnapshot(
            genesys_id=str(uuid.uuid4()),
            status_category=StatusCategory.OPEN,
            queue_id=task.queue_id,
            workbin_id=task.workbin_id,
            priority=task.priority,
            date_created=now,
            date_modified=now,
            date_due=task.date_due,
            date_expires=task.date_expires,
            custom_fields=task.custom_fields,
        )
        self.workitems[snapshot.genesys_id] = snapshot
        self.tags[(task.type_id, task.external_tag)] = snapshot.genesys_id
        self._fail("create", applied=True)
        return snapshot

    def _find(self, genesys_id: str) -> WorkitemSnapshot:
        if genesys_id not in self.workitems:
            raise TaskNotFound
        return self.workitems[genesys_id]

    def get(self, genesys_id: str) -> WorkitemSnapshot:
        self.calls.append(("get", genesys_id))
        self._fail("get", applied=False)
        return self._find(genesys_id)

    def update(self, genesys_id: str, changes: TaskChanges) -> WorkitemSnapshot:
        self.calls.append(("update", changes))
        self._fail("update", applied=False)
        current = self._find(genesys_id)
        category = self.statuses.get(changes.status_id, current.status_category) if changes.status_id else None
        now = self.clock()
        updated = replace(
            current,
            priority=changes.priority if changes.priority is not None else current.priority,
            queue_id=changes.queue_id or current.queue_id,
            workbin_id=changes.workbin_id or current.workbin_id,
            date_due=changes.date_due or current.date_due,
            status_id=changes.status_id or current.status_id,
            status_category=category or current.status_category,
            date_closed=now if category is StatusCategory.CLOSED else current.date_closed,
            date_modified=now,
        )
        self.workitems[genesys_id] = updated
        self._fail("update", applied=True)
        return updated

    def find_by_external_tag(self, type_id: str, external_tag: str) -> WorkitemSnapshot | None:
        self.calls.append(("find", external_tag))
        self._fail("find", applied=False)
        found = self.tags.get((type_id, external_tag))
        return self.workitems[found] if found else None


@dataclass
class RecordingScheduler:
    """``EscalationScheduler`` that records what it was asked."""

    started: dict[str, EscalationState] = field(default_factory=dict)
    stopped: list[str] = field(default_factory=list)

    def start(self, name: str, state: EscalationState) -> str:
        self.started.setdefault(name, state)
        return f"arn:aws:states:us-east-1:123456789012:execution:workitem-sla:{name}"

    def stop(self, arn: str) -> None:
        self.stopped.append(arn)


@dataclass
class InMemoryCallbackQueue:
    """``CallbackQueue`` as a list; ``postponed`` holds (receipt handle, delay)."""

    jobs: list[CallbackJob] = field(default_factory=list)
    postponed: list[tuple[str, float]] = field(default_factory=list)

    def send(self, job: CallbackJob) -> None:
        self.jobs.append(job)

    def postpone(self, receipt_handle: str, delay_s: float) -> None:
        self.postponed.append((receipt_handle, delay_s))


@dataclass
class RecordingNotifier:
    alerts: list[SupervisorAlert] = field(default_factory=list)

    def notify(self, alert: SupervisorAlert) -> None:
        self.alerts.append(alert)
