"""A captured workitem as we track it, and the rules for changing it: pure data, no I/O.

Our id is derived from (source system, source id), so a retried capture finds the same row before
anything reaches Genesys. The row mirrors the Genesys workitem's routing facts (status, queue, assignee,
...) from the newest snapshot seen; an older event never overwrites a newer one (``dateModified``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from cxbridge.core.errors import FieldError, RequestRejected, TransientFailure
from cxbridge.workitems.sla import timestamp

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping


def utc_iso(value: datetime) -> str:
    """``2026-11-23T18:54:16.000Z``: UTC with milliseconds, as Genesys writes dates; fixed width, so text
    order is time order."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def workitem_id(owner: str, source_id: str, key: bytes) -> str:
    """Our id of the workitem ``owner`` (the calling client) captures under ``source_id``.

    Keyed with a secret (HMAC-SHA-256), so a retried capture finds the same row but no caller can compute
    another's ids; the owner is in the key, so two callers' equal source ids never meet.
    """
    digest = hmac.new(key, f"{owner}\x1f{source_id}".encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


class StatusCategory(StrEnum):
    """Genesys status categories (``statusCategory``)."""

    UNKNOWN = "Unknown"
    OPEN = "Open"
    IN_PROGRESS = "InProgress"
    WAITING = "Waiting"
    CLOSED = "Closed"


class Phase(StrEnum):
    """Where our capture of a workitem is: claimed (Genesys not yet known to have it) or created."""

    CREATING = "creating"
    CREATED = "created"


class LifecycleAction(StrEnum):
    """What a source system may do to a workitem after capture (the seed's lifecycle)."""

    UPDATE = "update"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    COMPLETE = "complete"


class SyncState(StrEnum):
    """The sync-back of a closed workitem to its source system."""

    QUEUED = "queued"
    SYNCED = "synced"


# ---- errors the HTTP layer maps ----------------------------------------------------------------------


class WorkitemNotFound(RequestRejected):
    """404: no workitem with this id."""

    def __init__(self, workitem_id: str) -> None:
        super().__init__(404, "not_found", f"no workitem {workitem_id}")


class WorkitemClosed(RequestRejected):
    """409: the workitem is closed; nothing about it can change any more."""

    def __init__(self, workitem_id: str) -> None:
        super().__init__(409, "closed", f"workitem {workitem_id} is closed")


class RejectedByGenesys(RequestRejected):
    """Genesys refused the request: 400 when it is about the data sent, 502 when it is our configuration or
    permissions (a worktype id, a missing grant). Only Genesys' error code is passed on, never its text."""

    def __init__(self, code: str, status: int) -> None:
        http = 400 if status == 400 else 502
        super().__init__(http, "rejected_by_genesys", f"Genesys Cloud refused the request ({code})")


class RetryLater(TransientFailure):
    """A retry of the same request can succeed after ``retry_after_s`` (503 with ``Retry-After``)."""

    def __init__(self, reason: str, retry_after_s: float) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class CaptureInProgress(RetryLater):
    """Another request is creating this workitem right now."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__("capture in progress", retry_after_s)


# ---- Genesys Task Management failures (adapters raise these, services decide) -----------------------


class TaskApiFailure(Exception):
    """The Task Management API did not do what we asked."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


class TaskApiThrottled(TaskApiFailure):
    """429: Genesys did not process the request; it may be sent again after ``retry_after_s``."""


class TaskApiUnavailable(TaskApiFailure):
    """5xx, timeout or no token. ``maybe_applied``: the server may have acted (a create must be looked up,
    never sent again blindly)."""

    def __init__(self, reason: str, *, maybe_applied: bool, retry_after_s: float | None = None) -> None:
        super().__init__(reason, retry_after_s)
        self.maybe_applied = maybe_applied


class TaskApiRejected(TaskApiFailure):
    """4xx other than 429: the request itself is wrong (bad id, schema, transition); resending cannot help."""

    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.status = status


class TaskNotFound(TaskApiRejected):
    """404: Genesys has no such workitem (deleted, or another org)."""

    def __init__(self, reason: str = "not.found") -> None:
        super().__init__(reason, 404)


# ---- the record -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkitemSnapshot:
    """Routing facts of a Genesys workitem, from a REST answer or a topic event."""

    genesys_id: str
    status_category: StatusCategory
    status_id: str | None = None
    assignment_state: str | None = None
    assignee_id: str | None = None
    queue_id: str | None = None
    workbin_id: str | None = None
    priority: int | None = None
    date_created: datetime | None = None
    date_modified: datetime | None = None
    date_due: datetime | None = None
    date_expires: datetime | None = None
    date_closed: datetime | None = None
    custom_fields: Mapping[str, Any] | None = None  # passed on to the source system on close, never stored
    wrapup_code: str | None = None


@dataclass(frozen=True, slots=True)
class WorkitemRecord:
    """Our row for one captured workitem. ``version`` guards every write (optimistic concurrency)."""

    workitem_id: str
    owner: str  # the client id of the caller that captured it (from its token, never from a body)
    source_id: str
    worktype: str
    type_id: str
    name: str
    base_priority: int
    priority: int
    date_created: datetime
    date_due: datetime
    phase: Phase
    claimed_at: float  # epoch s of the capture claim (a stale claim may be taken over)
    date_expires: datetime | None = None
    callback_url: str | None = None
    genesys_id: str | None = None
    status_category: StatusCategory = StatusCategory.UNKNOWN
    status_id: str | None = None
    assignment_state: str | None = None
    assignee_id: str | None = None
    queue_id: str | None = None
    workbin_id: str | None = None
    date_modified: datetime | None = None
    date_closed: datetime | None = None
    paused: bool = False
    generation: int = 0  # bumped whenever the escalation is rescheduled; an older execution then ends
    execution_arn: str | None = None
    last_step: int = -1  # the last ladder step run (-1: none)
    sync_key: str | None = None  # the last outcome queued for the source system
    synced_key: str | None = None  # the last outcome the source system acknowledged
    version: int = 0

    @property
    def closed(self) -> bool:
        return self.status_category is StatusCategory.CLOSED

    @property
    def sync_state(self) -> SyncState | None:
        if self.sync_key is None:
            return None
        return SyncState.SYNCED if self.synced_key == self.sync_key else SyncState.QUEUED


@dataclass(frozen=True, slots=True)
class WorkitemQuery:
    """A page of one owner's task list: by queue or by status category, optionally due before a date."""

    owner: str
    queue_id: str | None = None
    status: StatusCategory | None = None
    due_before: datetime | None = None
    limit: int = 50
    next_token: str | None = None


def observe(record: WorkitemRecord, snapshot: WorkitemSnapshot) -> WorkitemRecord:
    """``record`` with the routing facts of ``snapshot``, unless the snapshot is older than what we hold.

    Snapshots are ordered by Genesys ``dateModified``; one without it (or a record without it) applies.
    A closed workitem never reopens from an older event, since that event is older by definition.
    """
    if (
        snapshot.date_modified is not None
        and record.date_modified is not None
        and snapshot.date_modified < record.date_modified
    ):
        return record
    return replace(
        record,
        genesys_id=snapshot.genesys_id,
        status_category=snapshot.status_category,
        status_id=snapshot.status_id or record.status_id,
        assignment_state=snapshot.assignment_state,
        assignee_id=snapshot.assignee_id,
        queue_id=snapshot.queue_id,
        workbin_id=snapshot.workbin_id,
        priority=snapshot.priority if snapshot.priority is not None else record.priority,
        date_modified=snapshot.date_modified or record.date_modified,
        date_due=snapshot.date_due or record.date_due,
        date_expires=snapshot.date_expires or record.date_expires,
        date_closed=snapshot.date_closed or record.date_closed,
    )


def outcome_key(record: WorkitemRecord) -> str:
    """The identity of one sync-back: the workitem and the status it closed in."""
    return f"{record.workitem_id}:{record.status_id or record.status_category.value}"


# ---- custom fields ----------------------------------------------------------------------------------

# Genesys schema core types that hold text, and the longest text each takes (Genesys examples).
_TEXT_LIMITS = {"text": 100, "longtext": 1000, "url": 200, "identifier": 100, "enum": 100}
_TAG_LIMITS = (10, 100)  # at most 10 tags of 1..100 characters
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _text(limit: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "expected a string"
        return f"at most {limit} characters" if len(value) > limit else None

    return check


def _check_integer(value: Any) -> str | None:
    return None if isinstance(value, int) and not isinstance(value, bool) else "expected an integer"


def _check_number(value: Any) -> str | None:
    return None if isinstance(value, int | float) and not isinstance(value, bool) else "expected a number"


def _check_checkbox(value: Any) -> str | None:
    return None if isinstance(value, bool) else "expected true or false"


def _check_tags(value: Any) -> str | None:
    most, longest = _TAG_LIMITS
    ok = isinstance(value, list) and len(value) <= most and len(set(value)) == len(value)
    ok = ok and all(isinstance(v, str) and 1 <= len(v) <= longest for v in value)
    return None if ok else f"expected up to {most} distinct strings of 1 to {longest} characters"


def _check_date(value: Any) -> str | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return "expected a date YYYY-MM-DD"
    try:
        date.fromisoformat(value)
    except ValueError:
        return "expected a date YYYY-MM-DD"
    return None


def _check_datetime(value: Any) -> str | None:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    return None if parsed is not None and parsed.tzinfo is not None else "expected an ISO-8601 date-time with zone"


# Core type → why a value does not fit it (None when it does).
_CHECKS: dict[str, Callable[[Any], str | None]] = {
    **{coretype: _text(limit) for coretype, limit in _TEXT_LIMITS.items()},
    "integer": _check_integer,
    "number": _check_number,
    "checkbox": _check_checkbox,
    "date": _check_date,
    "datetime": _check_datetime,
    "tag": _check_tags,
}


def check_custom_fields(schema: Mapping[str, str], values: Mapping[str, Any], prefix: str) -> list[FieldError]:
    """Every problem with ``values`` against a worktype's custom-field schema (key → core type)."""
    errors = []
    for key, value in values.items():
        check = _CHECKS.get(schema.get(key, ""))
        problem = "not a custom field of this worktype" if check is None else check(value)
        if problem is not None:
            errors.append(FieldError(f"{prefix}.{key}", problem))
    return errors


# ---- what we ask of Genesys ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewTask:
    """A workitem to create (the Task Management ``WorkitemCreate``, in our names)."""

    name: str
    type_id: str
    priority: int
    date_due: datetime
    external_tag: str
    date_expires: datetime | None = None
    queue_id: str | None = None
    workbin_id: str | None = None
    skill_ids: tuple[str, ...] = ()
    description: str | None = None
    custom_fields: Mapping[str, Any] | None = None
    external_contact_id: str | None = None
    language_id: str | None = None
    preferred_agent_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TaskChanges:
    """Fields to change on a workitem (``WorkitemUpdate``); None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    priority: int | None = None
    date_due: datetime | None = None
    date_expires: datetime | None = None
    status_id: str | None = None
    queue_id: str | None = None
    workbin_id: str | None = None
    custom_fields: Mapping[str, Any] | None = None

    def empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class EscalationState:
    """The state a workitem's Step Functions execution carries between ladder steps."""

    workitem_id: str
    generation: int
    step: int
    next_at: datetime
    done: bool = False

    def as_input(self) -> dict[str, Any]:
        """The execution's JSON state (``generation`` is text: the Choice state compares it with the
        row's number attribute, which DynamoDB's typed JSON gives as a string)."""
        return {
            "workitemId": self.workitem_id,
            "generation": str(self.generation),
            "step": self.step,
            "nextAt": timestamp(self.next_at),
            "done": self.done,
        }


@dataclass(frozen=True, slots=True)
class SupervisorAlert:
    """What supervisors are told when a workitem reaches a notifying step: ids and dates, no content."""

    workitem_id: str
    genesys_id: str | None
    worktype: str
    step: str
    date_due: datetime
    queue_id: str | None
    workbin_id: str | None
