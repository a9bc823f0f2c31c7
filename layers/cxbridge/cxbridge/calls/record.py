"""A call's record, merged from its events in any order.

The record is a map of cells. Each event writes its facts into the cells of its own slice (an agent
leg's end, that leg's after-call work, the customer's end, the webhook report; descriptive attributes
such as the media type go into call-wide cells). A cell keeps the value of the newest event that
carried one, as ``(event time, value)``; a slice also remembers the newest event time it has seen, and
the record its first and last event time. Each of these is a join (commutative, associative,
idempotent), so any arrival order and any number of copies of the same events give the same record, and
an older event never overwrites newer data. Totals, the agent and the disposition are derived from the
cells, never stored as truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from cxbridge.calls.event import CallEvent, EventKind

if TYPE_CHECKING:
    from collections.abc import Mapping

type CellValue = str | int
type Cell = tuple[int, CellValue]


class MergeOutcome(StrEnum):
    """What an event did to the record."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"


class SyncStatus(StrEnum):
    """Where the call's CRM record stands."""

    PENDING = "pending"
    SYNCED = "synced"
    FAILED = "failed"


CALL_SLICE = "call"
SEEN = "seen"
# Facts about the whole call, whichever event carries them.
CALL_ATTRS = frozenset({"media_type", "direction", "division_id"})
# Event fields that identify the event rather than describe the call.
_IDENTITY = frozenset({"kind", "conversation_id", "participant_id", "event_time"})
_NO_CELLS: Mapping[str, Cell] = MappingProxyType({})
# The events that name the agent of record and their queue.
_AGENT_KINDS = (EventKind.ACW, EventKind.USER_END)


def slice_of(event: CallEvent) -> str:
    """The slice an event writes: its kind and, for per-participant kinds, the participant."""
    return f"{event.kind}:{event.leg_key}"


def cell_key(slice_name: str, name: str) -> str:
    return f"{slice_name}|{name}"


@dataclass(frozen=True, slots=True)
class CallRecord:
    """Everything we know about one conversation, and the version it was read at."""

    conversation_id: str
    version: int = 0
    cells: Mapping[str, Cell] = field(default_factory=lambda: _NO_CELLS)
    first_event_time: int | None = None
    last_event_time: int | None = None
    sync_status: SyncStatus | None = None

    # ---- reading cells --------------------------------------------------------------------------

    def _matching(self, kind: EventKind, name: str) -> list[tuple[int, str, CellValue]]:
        """``(event time, slice, value)`` of every ``name`` cell of ``kind``'s slices."""
        prefix, suffix = f"{kind}:", f"|{name}"
        return [
            (t, key.removesuffix(suffix), value)
            for key, (t, value) in self.cells.items()
            if key.startswith(prefix) and key.endswith(suffix)
        ]

    def _newest_entry(self, kinds: tuple[EventKind, ...], name: str) -> tuple[int, str, CellValue] | None:
        """The newest cell; a tie on time goes to the greater slice (the event's identity), not the value,
        so two facts read with the same ``kinds`` at one millisecond come from one event."""
        found = [entry for kind in kinds for entry in self._matching(kind, name)]
        return max(found, default=None)

    def _newest(self, kinds: tuple[EventKind, ...], name: str) -> Cell | None:
        entry = self._newest_entry(kinds, name)
        return (entry[0], entry[2]) if entry else None

    def _newest_str(self, kinds: tuple[EventKind, ...], name: str) -> str | None:
        cell = self._newest(kinds, name)
        return str(cell[1]) if cell else None

    def _agent_slice(self) -> str | None:
        """The slice of the newest agent event that named a user: the agent and the queue both come from it."""
        entry = self._newest_entry(_AGENT_KINDS, "user_id")
        return entry[1] if entry else None

    def _sum(self, kind: EventKind, name: str) -> int | None:
        values = [int(value) for _, _, value in self._matching(kind, name)]
        return sum(values) if values else None

    def _call_attr(self, name: str) -> str | None:
        cell = self.cells.get(cell_key(CALL_SLICE, name))
        return str(cell[1]) if cell else None

    # ---- the call, as the CRM and the toil report see it ----------------------------------------

    @property
    def media_type(self) -> str | None:
        return self._call_attr("media_type")

    @property
    def direction(self) -> str | None:
        return self._call_attr("direction")

    @property
    def division_id(self) -> str | None:
        return self._call_attr("division_id")

    @property
    def wrapup_code_id(self) -> str | None:
        """The disposition: the newest wrap-up code id any agent applied."""
        return self._newest_str((EventKind.ACW,), "wrapup_code_id")

    @property
    def disposition_name(self) -> str | None:
        """A disposition given by name (the seed guide's webhook)."""
        return self._newest_str((EventKind.CALL_COMPLETED,), "disposition_name")

    @property
    def disposition(self) -> tuple[str | None, str | None] | None:
        """(wrap-up code id, disposition name), or None while the call has no disposition."""
        if self.wrapup_code_id is None and self.disposition_name is None:
            return None
        return (self.wrapup_code_id, self.disposition_name)

    @property
    def disposition_time(self) -> int | None:
        """When the disposition was given (epoch ms)."""
        cell = self._newest((EventKind.ACW,), "wrapup_code_id") or self._newest(
            (EventKind.CALL_COMPLETED,), "disposition_name"
        )
        return cell[0] if cell else None

    @property
    def user_id(self) -> str | None:
        """The agent of record: the agent named by the newest agent event, else the webhook's user."""
        agent = self._agent_slice()
        if agent is not None:
            return str(self.cells[cell_key(agent, "user_id")][1])
        return self._newest_str((EventKind.CALL_COMPLETED,), "user_id")

    @property
    def queue_id(self) -> str | None:
        """The queue the agent of record's event named (never another event's), else the newest queue."""
        agent = self._agent_slice()
        if agent is None:
            return self._newest_str(_AGENT_KINDS, "queue_id")
        cell = self.cells.get(cell_key(agent, "queue_id"))
        return str(cell[1]) if cell else None

    @property
    def talk_ms(self) -> int | None:
        """Agent talk time over all legs; the customer's, else the webhook's duration, when no agent leg ended."""
        agent_talk = self._sum(EventKind.USER_END, "talk_ms")
        if agent_talk is not None:
            return agent_talk
        customer = self._newest((EventKind.CUSTOMER_END,), "talk_ms")
        if customer is not None:
            return int(customer[1])
        completed = self._newest((EventKind.CALL_COMPLETED,), "duration_ms")
        return int(completed[1]) if completed else None

    @property
    def held_ms(self) -> int | None:
        return self._sum(EventKind.USER_END, "held_ms")

    @property
    def acw_ms(self) -> int | None:
        return self._sum(EventKind.ACW, "acw_ms")

    @property
    def handle_ms(self) -> int | None:
        """Handle time per the Genesys definition: talk + hold + ACW + dialing + contacting."""
        parts = [
            self.talk_ms,
            self.held_ms,
            self.acw_ms,
            self._sum(EventKind.USER_END, "dialing_ms"),
            self._sum(EventKind.USER_END, "contacting_ms"),
        ]
        present = [p for p in parts if p is not None]
        return sum(present) if present else None

    @property
    def call_date(self) -> str | None:
        """The UTC day the call is counted on: the day of its last event."""
        if self.last_event_time is None:
            return None
        return datetime.fromtimestamp(self.last_event_time / 1000, tz=UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True, slots=True)
class MergeResult:
    record: CallRecord
    outcome: MergeOutcome


def _event_cells(event: CallEvent) -> list[tuple[str, CellValue]]:
    """The (cell key, value) pairs an event writes: its own slice's facts, the call-wide attributes."""
    own = slice_of(event)
    pairs: list[tuple[str, CellValue]] = [(cell_key(own, SEEN), event.event_time)]
    for f in fields(event):
        value = getattr(event, f.name)
        if f.name in _IDENTITY or value is None:
            continue
        target = CALL_SLICE if f.name in CALL_ATTRS else own
        pairs.append((cell_key(target, f.name), value))
    return pairs


def merge(record: CallRecord | None, event: CallEvent) -> MergeResult:
    """Fold one event into a call's record; the result says whether it changed anything."""
    base = record if record is not None else CallRecord(conversation_id=event.conversation_id)
    if base.conversation_id != event.conversation_id:
        raise ValueError("event belongs to another conversation")
    t = event.event_time
    cells = dict(base.cells)
    for key, value in _event_cells(event):
        held = cells.get(key)
        if held is None or (t, value) > held:
            cells[key] = (t, value)
    merged = replace(
        base,
        cells=cells,
        first_event_time=t if base.first_event_time is None else min(t, base.first_event_time),
        last_event_time=t if base.last_event_time is None else max(t, base.last_event_time),
    )
    if merged == base:
        seen = base.cells.get(cell_key(slice_of(event), SEEN))
        outcome = MergeOutcome.DUPLICATE if seen is not None and seen[0] == t else MergeOutcome.STALE
        return MergeResult(base, outcome)
    if merged.disposition != base.disposition:
        merged = replace(merged, sync_status=SyncStatus.PENDING)
    return MergeResult(merged, MergeOutcome.APPLIED)


def needs_crm_job(old: CallRecord | None, new: CallRecord) -> bool:
    """A CRM-sync job is due when a call becomes ``pending``: it got a disposition, or a synced one changed.

    While a call is already pending, a later change (a second agent's wrap-up) queues nothing: the job
    is a request to sync the conversation, and the worker writes the record as it is when it runs.
    """
    return new.sync_status is SyncStatus.PENDING and (old is None or old.sync_status is not SyncStatus.PENDING)
