"""Sample calls with known toil: a disposition mix per day, planted candidates included.

``generate_calls`` gives each disposition exactly its share of a day's calls (largest remainder) and,
each day, its target average handle time (calls spread about ±20 % around it, rescaled so the day's mean
is the target to the millisecond), so a mix's candidates are known whatever the seed. The same calls become call
records (through the real merge of Genesys events, so the flattened attributes are the ingest path's
own) or Analytics conversations for the Genesys sandbox: both sources then hold the same calls.
The demo and ``make toil`` plant candidates with ``sample_calls``; tests build their own mixes.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.record import CallRecord, merge
from cxbridge.calls.store import record_to_item
from cxbridge.toil.rules import Period
from local.sandboxes.genesys_analytics import AnalyticsCall

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

MS_PER_DAY = 86_400_000


@dataclass(frozen=True)
class Disposition:
    """One slice of a day's calls: its wrap-up code (or webhook name, or neither), share and target AHT.

    ``acw``: whether agents spend after-call work on it (a code set during the call has none).
    """

    code_id: str | None
    name: str | None
    share: float
    aht_s: float
    acw: bool = True


@dataclass(frozen=True)
class SampleCall:
    """One generated call, as much as the toil report can see of it."""

    conversation_id: str
    end_ms: int
    queue_id: str | None
    code_id: str | None
    disposition_name: str | None
    talk_ms: int
    held_ms: int | None
    acw_ms: int | None


_ID_NAMESPACE = uuid.UUID("8d3f0c52-7a1e-4b7b-9c1d-5e2f6a7b8c9d")


def genesys_id(name: str) -> str:
    """The id Genesys would give the generated org's ``name`` (a UUID, as the ingest routes require)."""
    return str(uuid.uuid5(_ID_NAMESPACE, name))


# A contact center where password resets and balance inquiries are the toil (the seed guide's examples).
PLANTED = (
    Disposition(genesys_id("wc-password-reset"), "Password reset", 0.22, 420.0),
    Disposition(genesys_id("wc-balance-inquiry"), "Balance inquiry", 0.18, 340.0),
    Disposition(genesys_id("wc-billing-dispute"), "Billing dispute", 0.12, 780.0),
    Disposition(genesys_id("wc-address-change"), "Address change", 0.16, 150.0),
    Disposition(genesys_id("wc-technical-issue"), "Technical issue", 0.10, 540.0),
    Disposition(genesys_id("wc-sales"), "New sale", 0.09, 600.0),
    Disposition("ININ-WRAP-UP-TIMEOUT", None, 0.05, 200.0),
    Disposition(None, None, 0.08, 60.0, acw=False),
)
# The same center a period earlier: balance inquiries were fewer (not yet a candidate), address changes more.
PLANTED_BEFORE = (
    Disposition(genesys_id("wc-password-reset"), "Password reset", 0.21, 430.0),
    Disposition(genesys_id("wc-balance-inquiry"), "Balance inquiry", 0.12, 330.0),
    Disposition(genesys_id("wc-billing-dispute"), "Billing dispute", 0.12, 760.0),
    Disposition(genesys_id("wc-address-change"), "Address change", 0.22, 160.0),
    Disposition(genesys_id("wc-technical-issue"), "Technical issue", 0.10, 520.0),
    Disposition(genesys_id("wc-sales"), "New sale", 0.10, 610.0),
    Disposition("ININ-WRAP-UP-TIMEOUT", None, 0.05, 200.0),
    Disposition(None, None, 0.08, 60.0, acw=False),
)
QUEUES = tuple(genesys_id(q) for q in ("q-general", "q-billing", "q-support"))
QUEUE_WEIGHTS = (0.5, 0.3, 0.2)


def wrapup_code_names(mix: Iterable[Disposition]) -> dict[str, str]:
    """The org's wrap-up codes (id → name) for the Genesys sandbox; system codes have no entity."""
    return {d.code_id: d.name for d in mix if d.code_id and d.name and not d.code_id.startswith("ININ-")}


def apportion(total: int, shares: Sequence[float]) -> list[int]:
    """Whole calls per share summing to ``total`` (largest remainder; ties to the earlier share)."""
    weight = sum(shares)
    exact = [total * s / weight for s in shares]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _call(rng: random.Random, day: date, queue_id: str | None, d: Disposition, scale: float) -> SampleCall:
    handle_ms = round(d.aht_s * 1000 * scale)
    acw_ms = int(handle_ms * rng.uniform(0.15, 0.35)) if d.acw else None
    held_ms = int(handle_ms * rng.uniform(0.05, 0.2)) if rng.random() < 0.4 else None
    talk_ms = handle_ms - (acw_ms or 0) - (held_ms or 0)
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    end_ms = midnight + rng.randrange(2 * 3_600_000, 22 * 3_600_000)
    return SampleCall(
        conversation_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        end_ms=end_ms,
        queue_id=queue_id,
        code_id=d.code_id,
        disposition_name=None if d.code_id else d.name,
        talk_ms=talk_ms,
        held_ms=held_ms,
        acw_ms=acw_ms,
    )


def generate_calls(
    days: Iterable[date],
    calls_per_day: int,
    mix: Sequence[Disposition] = PLANTED,
    *,
    seed: int = 0,
    queue_id: str | None = QUEUES[0],
) -> list[SampleCall]:
    """``calls_per_day`` calls on each day, split by the mix's shares; deterministic for a seed."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sample data, not secrets
    calls: list[SampleCall] = []
    for day in days:
        for d, count in zip(mix, apportion(calls_per_day, [d.share for d in mix]), strict=True):
            spread = [rng.uniform(0.8, 1.2) for _ in range(count)]
            mean = sum(spread) / count if count else 1.0
            calls.extend(_call(rng, day, queue_id, d, x / mean) for x in spread)  # the day's AHT is the target
    return calls


def sample_calls(last_day: date, days: int, calls_per_day: int, *, seed: int = 0) -> list[SampleCall]:
    """Two periods of ``days`` days ending ``last_day``: ``PLANTED_BEFORE``, then ``PLANTED``, over three queues.

    Password reset and balance inquiry are the current candidates; balance inquiry is new since the
    previous period. The demo and ``make toil`` use this; tests build their own mixes.
    """
    period = Period.ending(last_day, days)
    calls: list[SampleCall] = []
    for n, (queue_id, weight) in enumerate(zip(QUEUES, QUEUE_WEIGHTS, strict=True)):
        per_day = round(calls_per_day * weight)
        calls += generate_calls(
            period.previous().dates(), per_day, PLANTED_BEFORE, seed=seed + 2 * n, queue_id=queue_id
        )
        calls += generate_calls(period.dates(), per_day, PLANTED, seed=seed + 2 * n + 1, queue_id=queue_id)
    return calls


def call_events(call: SampleCall) -> list[CallEvent]:
    """The Genesys events of a call: the agent leg's end, then its wrap-up (or the webhook, for a named one)."""
    agent = genesys_id("agent-1")
    if call.code_id is None and call.disposition_name is not None:
        return [
            CallEvent(
                EventKind.CALL_COMPLETED,
                call.conversation_id,
                None,
                call.end_ms,
                user_id=agent,
                duration_ms=call.talk_ms + (call.held_ms or 0) + (call.acw_ms or 0),
                call_status="completed",
                disposition_name=call.disposition_name,
            )
        ]
    leg = genesys_id("participant-agent")
    user_end = CallEvent(
        EventKind.USER_END,
        call.conversation_id,
        leg,
        call.end_ms - (call.acw_ms or 0) - 1,
        media_type="VOICE",
        direction="INBOUND",
        user_id=agent,
        queue_id=call.queue_id,
        talk_ms=call.talk_ms,
        held_ms=call.held_ms,
    )
    if call.code_id is None:
        return [user_end]
    acw = CallEvent(
        EventKind.ACW,
        call.conversation_id,
        leg,
        call.end_ms,
        media_type="VOICE",
        user_id=agent,
        queue_id=call.queue_id,
        wrapup_code_id=call.code_id,
        acw_ms=call.acw_ms,
    )
    return [user_end, acw]


def call_record(call: SampleCall) -> CallRecord:
    """The record the ingest path would hold after the call's events."""
    record: CallRecord | None = None
    for event in call_events(call):
        record = merge(record, event).record
    if record is None:
        raise ValueError("a call has at least one event")
    return record


def put_call_records(dynamodb: Any, table_name: str, calls: Iterable[SampleCall]) -> int:
    """Write the calls' records (as the ingest path writes them) to a call-records table; return how many."""
    items = [{"PutRequest": {"Item": record_to_item(call_record(c), retention_days=3650)}} for c in calls]
    for start in range(0, len(items), 25):
        batch = {table_name: items[start : start + 25]}
        while batch:
            batch = dynamodb.batch_write_item(RequestItems=batch).get("UnprocessedItems") or {}
    return len(items)


def analytics_calls(calls: Iterable[SampleCall]) -> list[AnalyticsCall]:
    """The calls as the Genesys sandbox's Analytics counts them (a webhook's name is unknown to Genesys)."""
    return [
        AnalyticsCall(
            conversation_id=c.conversation_id,
            end_ms=c.end_ms,
            wrapup_code_id=c.code_id,
            queue_id=c.queue_id,
            talk_ms=c.talk_ms,
            held_ms=c.held_ms,
            acw_ms=c.acw_ms,
        )
        for c in calls
    ]
