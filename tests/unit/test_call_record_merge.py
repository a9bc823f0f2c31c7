"""Merging events into a call record: any order, any number of copies, the same record."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.ingest_api import parse_call_event
from cxbridge.calls.record import CallRecord, MergeOutcome, SyncStatus, merge, needs_crm_job
from tests.builders import body

CONV = "c-1"


def fold(events: list[CallEvent]) -> tuple[CallRecord | None, int]:
    """Merge events in order as the store would (version bumps on each write); count queued jobs."""
    record: CallRecord | None = None
    jobs = 0
    for event in events:
        result = merge(record, event)
        if result.outcome is MergeOutcome.APPLIED:
            new = replace(result.record, version=(record.version if record else 0) + 1)
            jobs += needs_crm_job(record, new)
            record = new
    return record, jobs


def comparable(record: CallRecord | None) -> CallRecord | None:
    return None if record is None else replace(record, version=0)


def sample_conversation_b() -> list[CallEvent]:
    kinds = {
        "user-end-b1": EventKind.USER_END,
        "acw-b1": EventKind.ACW,
        "user-end-b2": EventKind.USER_END,
        "acw-b2": EventKind.ACW,
        "customer-end-b": EventKind.CUSTOMER_END,
    }
    return [parse_call_event(body(stem), kind) for stem, kind in kinds.items()]


def test_transfer_call_totals_and_disposition_from_the_last_wrap_up() -> None:
    record, jobs = fold(sample_conversation_b())
    assert record is not None
    assert record.wrapup_code_id == "5e4d3c2b-1a09-4f8e-a7d6-c5b4a3928170"  # agent 2 wrapped up last
    assert record.user_id == "2f1e0d9c-8b7a-4654-b3c2-d1e0f9a8b7c6"
    assert record.talk_ms == 120000 + 260000
    assert record.held_ms == 30000
    assert record.acw_ms == 40000 + 60000
    assert record.handle_ms == 120000 + 260000 + 30000 + 40000 + 60000
    assert record.sync_status is SyncStatus.PENDING
    assert jobs == 1


def test_redelivered_event_is_a_duplicate_and_changes_nothing() -> None:
    event = sample_conversation_b()[1]
    first = merge(None, event).record
    again = merge(first, event)
    assert again.outcome is MergeOutcome.DUPLICATE
    assert again.record == first


def test_older_event_for_the_same_leg_never_overwrites_newer_data() -> None:
    user_end, acw = sample_conversation_b()[2:4]
    newer = merge(merge(None, user_end).record, acw).record
    older = replace(acw, event_time=acw.event_time - 1, wrapup_code_id="older-code", acw_ms=1)
    result = merge(newer, older)
    assert result.outcome is MergeOutcome.STALE
    assert result.record.wrapup_code_id == acw.wrapup_code_id
    assert result.record.acw_ms == acw.acw_ms
    assert result.record == newer


def test_an_old_event_still_moves_the_first_event_time_back() -> None:
    acw = sample_conversation_b()[3]
    older = replace(acw, event_time=acw.event_time - 1, wrapup_code_id="older-code")
    result = merge(merge(None, acw).record, older)
    assert result.outcome is MergeOutcome.APPLIED
    assert result.record.first_event_time == older.event_time
    assert result.record.wrapup_code_id == acw.wrapup_code_id


def test_agent_and_queue_come_from_one_event_when_two_share_a_millisecond() -> None:
    t = 1_700_000_000_000
    first = CallEvent(EventKind.USER_END, CONV, "leg-a", t, user_id="user-a", queue_id="q-2")
    second = CallEvent(EventKind.USER_END, CONV, "leg-b", t, user_id="user-b", queue_id="q-1")
    for events in ([first, second], [second, first]):
        record, _ = fold(events)
        assert record is not None
        assert (record.user_id, record.queue_id) == ("user-b", "q-1")  # the greater identity, whole


def test_the_disposition_and_the_agent_come_from_one_wrap_up_at_one_millisecond() -> None:
    t = 1_700_000_000_000
    a = CallEvent(EventKind.ACW, CONV, "leg-a", t, user_id="user-a", queue_id="q-1", wrapup_code_id="w-sale")
    b = CallEvent(EventKind.ACW, CONV, "leg-b", t, user_id="user-b", queue_id="q-2", wrapup_code_id="w-billing")
    record, _ = fold([a, b])
    assert record is not None
    assert (record.wrapup_code_id, record.user_id, record.queue_id) == ("w-billing", "user-b", "q-2")


def test_a_changed_disposition_after_sync_queues_a_new_job() -> None:
    events = sample_conversation_b()
    record, _ = fold(events[:2])
    assert record is not None
    synced = replace(record, sync_status=SyncStatus.SYNCED)
    rewrap = replace(events[1], event_time=events[1].event_time + 5, wrapup_code_id="other")
    new = merge(synced, rewrap).record
    assert new.sync_status is SyncStatus.PENDING
    assert needs_crm_job(synced, new)


def test_call_without_agent_leg_falls_back_to_customer_then_webhook_duration() -> None:
    customer = parse_call_event(body("customer-end-a"), EventKind.CUSTOMER_END)
    assert merge(None, customer).record.talk_ms == 298000
    completed = parse_call_event(body("call-completed"), EventKind.CALL_COMPLETED)
    record = merge(None, completed).record
    assert (record.talk_ms, record.disposition_name, record.wrapup_code_id) == (180000, "Sale_Closed", None)
    assert record.call_date == "2024-05-13"


# ---- properties over generated conversations --------------------------------------------------------

legs = st.sampled_from(["agent-1", "agent-2", "agent-3"])
times = st.integers(min_value=1_700_000_000_000, max_value=1_700_000_100_000)
durations = st.none() | st.integers(min_value=0, max_value=3_600_000)
codes = st.none() | st.sampled_from(["w-billing", "w-sale", "ININ-WRAP-UP-TIMEOUT"])


@st.composite
def call_events(draw: st.DrawFn) -> CallEvent:
    kind = draw(st.sampled_from(list(EventKind)))
    leg = draw(legs)
    return CallEvent(
        kind=kind,
        conversation_id=CONV,
        participant_id=leg,
        event_time=draw(times),
        media_type=draw(st.sampled_from([None, "VOICE", "CALLBACK"])),
        direction=draw(st.sampled_from([None, "INBOUND", "OUTBOUND"])),
        user_id=draw(st.sampled_from([None, f"user-{leg}"])),
        queue_id=draw(st.sampled_from([None, "q-1", "q-2"])),
        wrapup_code_id=draw(codes) if kind is EventKind.ACW else None,
        acw_ms=draw(durations) if kind is EventKind.ACW else None,
        talk_ms=draw(durations),
        held_ms=draw(durations) if kind is EventKind.USER_END else None,
        duration_ms=draw(durations) if kind is EventKind.CALL_COMPLETED else None,
        disposition_name=draw(st.none() | st.just("Sale_Closed")) if kind is EventKind.CALL_COMPLETED else None,
    )


def unique_identities(events: list[CallEvent]) -> list[CallEvent]:
    """One event per identity: two different events never share kind, leg and time in Genesys."""
    seen: dict[tuple[EventKind, str, int], CallEvent] = {}
    for e in events:
        seen.setdefault((e.kind, e.leg_key, e.event_time), e)
    return list(seen.values())


@settings(max_examples=200, deadline=None)
@given(st.lists(call_events(), min_size=1, max_size=12).map(unique_identities), st.randoms(use_true_random=False))
def test_any_order_with_any_duplicates_gives_the_same_record(events: list[CallEvent], rnd: object) -> None:
    import random

    assert isinstance(rnd, random.Random)
    replayed = events * 3
    rnd.shuffle(replayed)
    in_order, _ = fold(sorted(events, key=lambda e: e.event_time))
    shuffled, _ = fold(replayed)
    assert comparable(shuffled) == comparable(in_order)


@settings(max_examples=200, deadline=None)
@given(st.lists(call_events(), min_size=1, max_size=12).map(unique_identities), st.randoms(use_true_random=False))
def test_replay_queues_at_most_one_job_while_pending(events: list[CallEvent], rnd: object) -> None:
    import random

    assert isinstance(rnd, random.Random)
    replayed = events * 3
    rnd.shuffle(replayed)
    record, jobs = fold(replayed)
    has_disposition = record is not None and record.disposition is not None
    assert jobs == (1 if has_disposition else 0)


@settings(max_examples=200, deadline=None)
@given(st.lists(call_events(), min_size=1, max_size=12).map(unique_identities))
def test_merging_the_same_events_again_changes_nothing(events: list[CallEvent]) -> None:
    record, _ = fold(events)
    for event in events:
        result = merge(record, event)
        assert result.outcome is not MergeOutcome.APPLIED
        assert result.record == record
