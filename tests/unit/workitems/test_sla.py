"""The escalation ladder and the priority formula, as properties over generated dates and ladders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxbridge.workitems.sla import (
    MAX_SLA_USED,
    PRIORITY_MAX,
    PRIORITY_MIN,
    Ladder,
    LadderError,
    LadderStep,
    priority,
    sla_used,
    step_time,
    timestamp,
)

# Derandomized: the same examples on every run (a property test must not fail by chance).
PROPERTY = settings(derandomize=True, deadline=None, max_examples=150)

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
moments = st.integers(min_value=0, max_value=400 * 86_400_000_000).map(lambda us: EPOCH + timedelta(microseconds=us))
spans = st.integers(min_value=0, max_value=365 * 86_400_000_000).map(lambda us: timedelta(microseconds=us))
percents = st.floats(min_value=0.01, max_value=1000, allow_nan=False, allow_infinity=False)
priorities = st.integers(min_value=-30_000_000, max_value=30_000_000)
ramps = st.integers(min_value=0, max_value=50_000_000)


@st.composite
def ladders(draw: st.DrawFn) -> Ladder:
    cut = sorted(set(draw(st.lists(percents, min_size=1, max_size=8))))
    boosts = draw(st.lists(st.integers(0, 1_000_000), min_size=len(cut), max_size=len(cut)))
    steps = tuple(LadderStep(f"s{i}", p, priority_boost=b) for i, (p, b) in enumerate(zip(cut, boosts, strict=True)))
    return Ladder(steps, draw(ramps))


@PROPERTY
@given(moments, spans, ladders())
def test_steps_run_in_order_and_never_after_the_due_date_below_100_percent(
    created: datetime, span: timedelta, ladder: Ladder
) -> None:
    due = created + span
    schedule = ladder.schedule(created, due)
    assert list(schedule) == sorted(schedule)
    for step, at in zip(ladder.steps, schedule, strict=True):
        assert at.microsecond == 0
        assert created - timedelta(seconds=1) < at
        if step.at_percent <= 100:
            assert at <= due
        else:
            assert at >= due.replace(microsecond=0)


@PROPERTY
@given(moments, spans, percents, percents)
def test_a_later_percentage_is_never_an_earlier_time(created: datetime, span: timedelta, a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert step_time(created, created + span, low) <= step_time(created, created + span, high)


@PROPERTY
@given(priorities, ramps, st.floats(min_value=-5, max_value=5, allow_nan=False))
def test_priority_stays_in_the_api_range(base: int, ramp: int, used: float) -> None:
    assert PRIORITY_MIN <= priority(base, ramp, used) <= PRIORITY_MAX


@PROPERTY
@given(created=moments, span=spans, t1=moments, t2=moments, base=priorities, ladder=ladders(), step=st.integers(-1, 8))
def test_priority_never_falls_as_time_passes(
    *, created: datetime, span: timedelta, t1: datetime, t2: datetime, base: int, ladder: Ladder, step: int
) -> None:
    due = created + span
    early, late = sorted((t1, t2))
    assert ladder.priority_at(base, created, due, early, step) <= ladder.priority_at(base, created, due, late, step)


@PROPERTY
@given(
    created=moments,
    span=spans,
    now=moments,
    base=priorities,
    ladder=ladders(),
    a=st.integers(-1, 8),
    b=st.integers(-1, 8),
)
def test_priority_never_falls_as_steps_run(
    *, created: datetime, span: timedelta, now: datetime, base: int, ladder: Ladder, a: int, b: int
) -> None:
    due = created + span
    fewer, more = sorted((a, b))
    assert ladder.priority_at(base, created, due, now, fewer) <= ladder.priority_at(base, created, due, now, more)


@PROPERTY
@given(moments, spans, moments)
def test_the_share_of_the_sla_used_is_bounded(created: datetime, span: timedelta, now: datetime) -> None:
    assert 0.0 <= sla_used(created, created + span, now) <= MAX_SLA_USED


def test_the_formula_by_example() -> None:
    created = EPOCH
    due = created + timedelta(hours=24)
    ladder = Ladder((LadderStep("warn", 50), LadderStep("overflow", 75, priority_boost=500)), ramp=1000)

    assert ladder.priority_at(10, created, due, created, -1) == 10
    assert ladder.priority_at(10, created, due, created + timedelta(hours=12), 0) == 510
    assert ladder.priority_at(10, created, due, created + timedelta(hours=18), 1) == 1260
    assert ladder.priority_at(10, created, due, created + timedelta(days=10), 1) == 10 + 500 + 2000
    assert priority(24_999_999, 1000, 1.0) == PRIORITY_MAX
    assert priority(-30_000_000, 0, 0.0) == PRIORITY_MIN


def test_repeats_append_reprioritisation_steps_after_the_last_rung() -> None:
    ladder = Ladder.with_repeats((LadderStep("warn", 50), LadderStep("supervisor", 100)), 100, 25, 2)

    assert [(s.name, s.at_percent) for s in ladder.steps] == [
        ("warn", 50),
        ("supervisor", 100),
        ("reprioritise-1", 125),
        ("reprioritise-2", 150),
    ]
    assert ladder.next_step(-1) == 0
    assert ladder.next_step(3) is None


@pytest.mark.parametrize(
    "steps",
    [
        (LadderStep("a", 75), LadderStep("b", 50)),
        (LadderStep("a", 50), LadderStep("b", 50)),
        (LadderStep("a", 0),),
        (LadderStep("a", 50, priority_boost=-1),),
    ],
)
def test_a_ladder_out_of_order_or_with_a_negative_boost_is_refused(steps: tuple[LadderStep, ...]) -> None:
    with pytest.raises(LadderError):
        Ladder(steps)


def test_transitions_per_workitem_follow_the_state_machine() -> None:
    ladder = Ladder((LadderStep("warn", 50), LadderStep("overflow", 75), LadderStep("supervisor", 100)))

    assert ladder.transitions_if_closed_before_due() == 9  # Wait, Read, Choice, Run x2, then stopped in Wait
    assert ladder.transitions_full() == 16


def test_wait_timestamps_are_whole_seconds_in_utc() -> None:
    assert timestamp(datetime(2026, 11, 23, 18, 54, 16, 999_000, tzinfo=UTC)) == "2026-11-23T18:54:16Z"
    with pytest.raises(ValueError, match="time zone"):
        step_time(datetime(2026, 1, 1), datetime(2026, 1, 2), 50)
