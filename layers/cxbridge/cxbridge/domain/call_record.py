"""A call's record, merged from its events in any order.

Each event kind owns a slice of the record (an agent leg's end or after-call work, the customer leg,
the webhook report) and carries the event time that slice was written at. An event writes its slice
only when it is newer than what is there: an equal time is a redelivery (duplicate), an older one is
stale. Totals and the disposition are derived from the slices, so no arrival order can make an older
event overwrite newer data, and replaying any subset of events any number of times gives the same record.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from cxbridge.domain.call_events import CallEvent, EventKind

if TYPE_CHECKING:
    from collections.abc import Mapping


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


@dataclass(frozen=True, slots=True)
class AgentLeg:
    """One agent participant: its end (talk, hold) and its after-call work (wrap-up code, ACW time)."""

    user_id: str | None = None
    queue_id: str | None = None
    end_event_time: int | None = None
    talk_ms: int | None = None
    held_ms: int | None = None
    dialing_ms: int | None = None
    contacting_ms: int | None = None
    acw_event_time: int | None = None
    acw_ms: int | None = None
    wrapup_code_id: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerLeg:
    """The customer's end of the call."""

    event_time: int
    talk_ms: int | None = None
    disconnect_type: str | None = None


@dataclass(frozen=True, slots=True)
class CompletedReport:
    """The seed guide's ``Call.Completed`` webhook: a total duration and a disposition name."""

    event_time: int
    user_id: str | None = None
    duration_ms: int | None = None
    status: str | None = None
    disposition_name: str | None = None


_EMPTY_LEGS: Mapping[str, AgentLeg] = MappingProxyType({})


def _total(values: list[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


@dataclass(frozen=True, slots=True)
class CallRecord:
    """Everything we know about one conversation, and the version it was read at."""

    conversation_id: str
    version: int = 0
    media_type: str | None = None
    direction: str | None = None
    division_id: str | None = None
    attrs_event_time: int | None = None
    first_event_time: int | None = None
    last_event_time: int | None = None
    agents: Mapping[str, AgentLeg] = field(default_factory=lambda: _EMPTY_LEGS)
    customer: CustomerLeg | None = None
    completed: CompletedReport | None = None
    sync_status: SyncStatus | None = None

    @property
    def _last_wrapped_leg(self) -> AgentLeg | None:
        wrapped = [leg for leg in self.agents.values() if leg.acw_event_time is not None]
        return max(wrapped, key=lambda leg: leg.acw_event_time or 0, default=None)

    @property
    def wrapup_code_id(self) -> str | None:
        """The disposition: the wrap-up code id of the agent who wrapped up last."""
        leg = self._last_wrapped_leg
        return leg.wrapup_code_id if leg else None

    @property
    def disposition_name(self) -> str | None:
        """A disposition given by name (the webhook), when there is no wrap-up code id."""
        return self.completed.disposition_name if self.completed else None

    @property
    def disposition(self) -> tuple[str | None, str | None] | None:
        """(wrap-up code id, disposition name), or None while the call has no disposition."""
        if self.wrapup_code_id is None and self.disposition_name is None:
            return None
        return (self.wrapup_code_id, self.disposition_name)

    @property
    def disposition_time(self) -> int | None:
        """When the disposition was given (epoch ms)."""
        leg = self._last_wrapped_leg
        if leg is not None and leg.wrapup_code_id is not None:
            return leg.acw_event_time
        return self.completed.event_time if self.completed else None

    @property
    def user_id(self) -> str | None:
        """The agent of record: who wrapped up last, else whose leg ended last, else the webhook's user."""
        legs = sorted(self.agents.values(), key=lambda leg: (leg.acw_event_time or 0, leg.end_event_time or 0))
        for leg in reversed(legs):
            if leg.user_id:
                return leg.user_id
        return self.completed.user_id if self.completed else None

    @property
    def queue_id(self) -> str | None:
        """The queue of the last agent leg that names one."""
        legs = sorted(self.agents.values(), key=lambda leg: (leg.acw_event_time or 0, leg.end_event_time or 0))
        return next((leg.queue_id for leg in reversed(legs) if leg.queue_id), None)

    @property
    def talk_ms(self) -> int | None:
        """Agent talk time over all legs; the customer's or the webhook's duration when no agent leg ended."""
        agent_talk = _total([leg.talk_ms for leg in self.agents.values()])
        if agent_talk is not None:
            return agent_talk
        if self.customer is not None and self.customer.talk_ms is not None:
            return self.customer.talk_ms
        return self.completed.duration_ms if self.completed else None

    @property
    def held_ms(self) -> int | None:
        return _total([leg.held_ms for leg in self.agents.values()])

    @property
    def acw_ms(self) -> int | None:
        return _total([leg.acw_ms for leg in self.agents.values()])

    @property
    def handle_ms(self) -> int | None:
        """Handle time per the Genesys definition: talk + hold + ACW + dialing + contacting."""
        parts = [self.talk_ms, self.held_ms, self.acw_ms]
        parts += [leg.dialing_ms for leg in self.agents.values()]
        parts += [leg.contacting_ms for leg in self.agents.values()]
        return _total(parts)

    @property
    def call_date(self) -> str | None:
        """The UTC day the call is counted on: the day its last event happened."""
        if self.last_event_time is None:
            return None
        return datetime.fromtimestamp(self.last_event_time / 1000, tz=UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True, slots=True)
class MergeResult:
    record: CallRecord
    outcome: MergeOutcome


def _order(stored: int | None, incoming: int) -> MergeOutcome:
    if stored is None or incoming > stored:
        return MergeOutcome.APPLIED
    return MergeOutcome.DUPLICATE if incoming == stored else MergeOutcome.STALE


def _merge_acw(record: CallRecord, event: CallEvent) -> tuple[CallRecord, MergeOutcome]:
    leg = record.agents.get(event.leg_key, AgentLeg())
    outcome = _order(leg.acw_event_time, event.event_time)
    if outcome is not MergeOutcome.APPLIED:
        return record, outcome
    leg = replace(
        leg,
        user_id=event.user_id or leg.user_id,
        queue_id=event.queue_id or leg.queue_id,
        acw_event_time=event.event_time,
        acw_ms=event.acw_ms,
        wrapup_code_id=event.wrapup_code_id,
    )
    return replace(record, agents={**record.agents, event.leg_key: leg}), outcome


def _merge_user_end(record: CallRecord, event: CallEvent) -> tuple[CallRecord, MergeOutcome]:
    leg = record.agents.get(event.leg_key, AgentLeg())
    outcome = _order(leg.end_event_time, event.event_time)
    if outcome is not MergeOutcome.APPLIED:
        return record, outcome
    leg = replace(
        leg,
        user_id=event.user_id or leg.user_id,
        queue_id=event.queue_id or leg.queue_id,
        end_event_time=event.event_time,
        talk_ms=event.talk_ms,
        held_ms=event.held_ms,
        dialing_ms=event.dialing_ms,
        contacting_ms=event.contacting_ms,
    )
    return replace(record, agents={**record.agents, event.leg_key: leg}), outcome


def _merge_customer_end(record: CallRecord, event: CallEvent) -> tuple[CallRecord, MergeOutcome]:
    outcome = _order(record.customer.event_time if record.customer else None, event.event_time)
    if outcome is not MergeOutcome.APPLIED:
        return record, outcome
    customer = CustomerLeg(event.event_time, event.talk_ms, event.disconnect_type)
    return replace(record, customer=customer), outcome


def _merge_completed(record: CallRecord, event: CallEvent) -> tuple[CallRecord, MergeOutcome]:
    outcome = _order(record.completed.event_time if record.completed else None, event.event_time)
    if outcome is not MergeOutcome.APPLIED:
        return record, outcome
    report = CompletedReport(
        event.event_time, event.user_id, event.duration_ms, event.call_status, event.disposition_name
    )
    return replace(record, completed=report), outcome


_MERGERS = {
    EventKind.ACW: _merge_acw,
    EventKind.USER_END: _merge_user_end,
    EventKind.CUSTOMER_END: _merge_customer_end,
    EventKind.CALL_COMPLETED: _merge_completed,
}


def _pick(newest: bool, incoming: str | None, stored: str | None) -> str | None:
    """The newest event's value wins; an older event only fills a gap."""
    return (incoming or stored) if newest else (stored or incoming)


def merge(record: CallRecord | None, event: CallEvent) -> MergeResult:
    """Fold one event into a call's record; the result says whether it changed anything."""
    base = record if record is not None else CallRecord(conversation_id=event.conversation_id)
    if base.conversation_id != event.conversation_id:
        raise ValueError("event belongs to another conversation")
    merged, outcome = _MERGERS[event.kind](base, event)
    if outcome is not MergeOutcome.APPLIED:
        return MergeResult(base, outcome)
    t = event.event_time
    newest = merged.attrs_event_time is None or t >= merged.attrs_event_time
    merged = replace(
        merged,
        media_type=_pick(newest, event.media_type, merged.media_type),
        direction=_pick(newest, event.direction, merged.direction),
        division_id=_pick(newest, event.division_id, merged.division_id),
        attrs_event_time=t if newest else merged.attrs_event_time,
        first_event_time=t if merged.first_event_time is None else min(t, merged.first_event_time),
        last_event_time=t if merged.last_event_time is None else max(t, merged.last_event_time),
    )
    if merged.disposition is not None and merged.disposition != base.disposition:
        merged = replace(merged, sync_status=SyncStatus.PENDING)
    return MergeResult(merged, MergeOutcome.APPLIED)


def needs_crm_job(old: CallRecord | None, new: CallRecord) -> bool:
    """A CRM-sync job is due when a call first gets a disposition, or its disposition changes."""
    return new.disposition is not None and (old is None or old.disposition != new.disposition)
