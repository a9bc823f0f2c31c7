"""The SLA escalation ladder and the priority formula: pure arithmetic on dates, no I/O.

A worktype's ladder is an ordered list of steps, each at a percentage of the SLA (the time from the
workitem's creation to its due date): 50 % warn, 75 % move to an overflow queue with a priority boost,
100 % move to the supervisors' workbin and notify them, and optionally a few reprioritisation steps
after the due date. Step ``i`` runs at ``created + span * percent_i / 100``, truncated to the second, so
a step at or below 100 % is never after the due date and the steps keep their order.

Priority (Genesys routes a higher value first; the API bounds it to ±25,000,000)::

    used     = clamp((now - created) / (due - created), 0, MAX_SLA_USED)   # share of the SLA used
    priority = clamp(base + sum(boosts of the steps run so far) + floor(ramp * used),
                     PRIORITY_MIN, PRIORITY_MAX)

so it grows as the remaining time shrinks (``ramp`` points over the whole SLA), keeps growing for a while
after the due date, then stops at ``ramp * MAX_SLA_USED``. Boosts and ``ramp`` are not negative, which
makes the priority a non-decreasing function of time and of the steps run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PRIORITY_MIN = -25_000_000
PRIORITY_MAX = 25_000_000
MAX_SLA_SECONDS = 365 * 86_400  # Genesys: due and expiry dates at most 365 days ahead
MAX_SLA_USED = 2.0  # the ramp stops once twice the SLA has gone by
MAX_PERCENT = 1_000.0  # a step later than 10x the SLA is a configuration mistake
MAX_STEPS = 12
# States a Standard execution enters per ladder step (Wait, GetItem, Choice, Lambda), and on the way out.
TRANSITIONS_PER_STEP = 4
TRANSITIONS_TO_FINISH = 4  # Wait, GetItem, Choice, Succeed after the last step (or once the row says Closed)


class LadderError(ValueError):
    """A ladder definition that cannot be run (steps out of order, a negative boost, ...)."""


@dataclass(frozen=True, slots=True)
class LadderStep:
    """One rung: when (percent of the SLA) and what (move, boost, notify). A step without a move only
    reprioritises (and, for a warning, logs and counts)."""

    name: str
    at_percent: float
    queue_id: str | None = None
    workbin_id: str | None = None
    priority_boost: int = 0
    notify: bool = False


@dataclass(frozen=True, slots=True)
class Ladder:
    """The ordered steps of one worktype and its priority ramp (points added over one whole SLA)."""

    steps: tuple[LadderStep, ...]
    ramp: int = 0

    def __post_init__(self) -> None:
        if len(self.steps) > MAX_STEPS:
            raise LadderError(f"at most {MAX_STEPS} steps")
        if self.ramp < 0 or self.ramp > PRIORITY_MAX - PRIORITY_MIN:
            raise LadderError("ramp must be between 0 and 50,000,000")
        previous = 0.0
        for step in self.steps:
            if not (previous < step.at_percent <= MAX_PERCENT) or not math.isfinite(step.at_percent):
                raise LadderError(f"step {step.name!r}: percentages must increase, each in (0, {MAX_PERCENT:g}]")
            if step.priority_boost < 0:
                raise LadderError(f"step {step.name!r}: priority boosts must not be negative")
            previous = step.at_percent

    @classmethod
    def with_repeats(cls, steps: tuple[LadderStep, ...], ramp: int, every_percent: float | None, times: int) -> Ladder:
        """``steps`` followed by ``times`` reprioritisation-only steps every ``every_percent`` after the last
        one (the seed's "reprioritised at regular intervals, even in a workbin")."""
        extra: list[LadderStep] = []
        if every_percent is not None and times > 0 and steps:
            last = steps[-1].at_percent
            extra = [LadderStep(f"reprioritise-{n}", last + n * every_percent) for n in range(1, times + 1)]
        return cls((*steps, *extra), ramp)

    def schedule(self, created: datetime, due: datetime) -> tuple[datetime, ...]:
        """When each step runs."""
        return tuple(step_time(created, due, step.at_percent) for step in self.steps)

    def boosts_through(self, step_index: int) -> int:
        """The sum of the boosts of steps ``0..step_index`` (none for -1)."""
        return sum(step.priority_boost for step in self.steps[: step_index + 1])

    def priority_at(self, base: int, created: datetime, due: datetime, now: datetime, step_index: int) -> int:
        """The priority a workitem should have at ``now`` once steps ``0..step_index`` have run."""
        return priority(base + self.boosts_through(step_index), self.ramp, sla_used(created, due, now))

    def next_step(self, after: int) -> int | None:
        """The index of the step after step ``after`` (-1: the first), or None when all have run."""
        index = max(after, -1) + 1
        return index if index < len(self.steps) else None

    def transitions_if_closed_before_due(self) -> int:
        """State transitions of an execution whose workitem closes just before its due date (stopped in
        its Wait): every step below 100 % ran, then it waited once more."""
        before_due = sum(1 for step in self.steps if step.at_percent < 100)
        return TRANSITIONS_PER_STEP * before_due + 1

    def transitions_full(self) -> int:
        """State transitions of an execution that runs every step and then ends on its own."""
        return TRANSITIONS_PER_STEP * len(self.steps) + TRANSITIONS_TO_FINISH


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("dates must carry a time zone")
    return value.astimezone(UTC)


def step_time(created: datetime, due: datetime, percent: float) -> datetime:
    """``created + (due - created) * percent / 100``, truncated to the whole second (never rounded up, so a
    step at <= 100 % is never after ``due``). A due date before the creation counts as an SLA of zero."""
    start, end = _as_utc(created), _as_utc(due)
    span_us = max(0, (end - start) // timedelta(microseconds=1))
    offset_us = math.floor(span_us * percent / 100)
    return (start + timedelta(microseconds=offset_us)).replace(microsecond=0)


def sla_used(created: datetime, due: datetime, now: datetime) -> float:
    """The share of the SLA gone by at ``now``, in [0, MAX_SLA_USED]."""
    start, end, at = _as_utc(created), _as_utc(due), _as_utc(now)
    span = (end - start).total_seconds()
    if span <= 0:
        return 0.0 if at < end else MAX_SLA_USED
    return min(MAX_SLA_USED, max(0.0, (at - start).total_seconds() / span))


def clamp_priority(value: int) -> int:
    """``value`` within the range the Task Management API accepts."""
    return max(PRIORITY_MIN, min(PRIORITY_MAX, value))


def priority(base: int, ramp: int, used: float) -> int:
    """``clamp(base + floor(ramp * used))``; see the module docstring."""
    return clamp_priority(base + math.floor(ramp * min(MAX_SLA_USED, max(0.0, used))))


def timestamp(value: datetime) -> str:
    """A Step Functions ``Wait`` timestamp: RFC 3339 in UTC, whole seconds, ``Z``."""
    return _as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
