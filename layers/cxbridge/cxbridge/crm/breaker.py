"""A circuit breaker shared by every concurrent worker: after a run of failed CRM calls, stop calling.

Pure state transitions; the store that shares the state across invocations is an adapter.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    """How many consecutive failed calls open the breaker, and for how long it stays open."""

    threshold: int = 5
    cooldown_s: float = 60.0


@dataclass(frozen=True, slots=True)
class BreakerState:
    """Consecutive failures so far, and until when (epoch s) calls are refused."""

    failures: int = 0
    open_until: float = 0.0

    def is_open(self, now: float) -> bool:
        return now < self.open_until

    def remaining(self, now: float) -> float:
        """Seconds until the breaker lets a call through again."""
        return max(0.0, self.open_until - now)


def after_calls(
    state: BreakerState, policy: BreakerPolicy, *, successes: int, failures: int, now: float
) -> BreakerState:
    """The state after a batch of calls: any success closes it; only failures count toward opening.

    Once the cool-down has passed, the next batch is the trial (half-open): a success resets the count,
    a failure re-opens at once because the count is still at the threshold.
    """
    if successes:
        return BreakerState()
    if not failures:
        return state
    count = state.failures + failures
    if count >= policy.threshold:
        return BreakerState(count, now + policy.cooldown_s)
    return BreakerState(count, state.open_until)
