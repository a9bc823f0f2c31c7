"""The workitems feature's ports: the row store, Genesys Task Management, escalations, alerts,
sync-back and the worktype mapping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from cxbridge.workitems.models import CallbackJob
    from cxbridge.workitems.workitem import (
        EscalationState,
        NewTask,
        SupervisorAlert,
        TaskChanges,
        WorkitemQuery,
        WorkitemRecord,
        WorkitemSnapshot,
    )
    from cxbridge.workitems.worktype import WorktypeConfig


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
