"""The sink contract's pure parts: outcome attribute lookup and the retry delay."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxbridge.core.upstream import SQS_MAX_VISIBILITY_S, backoff_delay
from cxbridge.crm.outcome import MappingError
from tests.unit.adapters.support import outcome

attempts = st.integers(min_value=0, max_value=2_000)
seconds = st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False)
unit_draws = st.floats(min_value=0, max_value=1, exclude_max=True)


def test_value_returns_the_named_attribute() -> None:
    o = outcome(handle_s=None)
    assert o.value("disposition") == "Resolved"
    assert o.value("talk_s") == 251
    assert o.value("handle_s") is None


def test_value_rejects_an_unknown_name_with_the_name() -> None:
    with pytest.raises(MappingError) as caught:
        outcome().value("phone_number")
    assert caught.value.name == "phone_number"
    assert isinstance(caught.value, ValueError)


@given(attempt=attempts, base=seconds, cap=seconds, retry_after=st.none() | seconds, draw=unit_draws)
def test_backoff_stays_within_its_bounds(
    attempt: int, base: float, cap: float, retry_after: float | None, draw: float
) -> None:
    delay = backoff_delay(attempt, base, cap, retry_after, lambda: draw)
    assert delay >= 0
    assert delay <= min(max(cap, retry_after or 0.0), SQS_MAX_VISIBILITY_S)
    if retry_after is not None:
        assert delay >= min(retry_after, SQS_MAX_VISIBILITY_S)


@given(attempt=st.integers(min_value=0, max_value=30), base=seconds, cap=seconds, draw=unit_draws)
def test_backoff_is_full_jitter_over_the_capped_exponential(attempt: int, base: float, cap: float, draw: float) -> None:
    expected = min(draw * min(cap, base * 2**attempt), SQS_MAX_VISIBILITY_S)
    assert math.isclose(backoff_delay(attempt, base, cap, None, lambda: draw), expected, rel_tol=1e-12, abs_tol=1e-12)


@given(attempt=attempts, base=seconds, cap=seconds, retry_after=st.none() | seconds, draw=unit_draws)
def test_backoff_is_deterministic_given_rand(
    attempt: int, base: float, cap: float, retry_after: float | None, draw: float
) -> None:
    first = backoff_delay(attempt, base, cap, retry_after, lambda: draw)
    assert backoff_delay(attempt, base, cap, retry_after, lambda: draw) == first


def test_retry_after_above_the_cap_wins_up_to_the_sqs_maximum() -> None:
    assert backoff_delay(0, 1.0, 60.0, 600.0, lambda: 0.5) == 600.0
    assert backoff_delay(0, 1.0, 60.0, 100_000.0, lambda: 0.5) == SQS_MAX_VISIBILITY_S


def test_backoff_survives_huge_attempts_and_clamps_bad_draws() -> None:
    assert backoff_delay(100_000, 1e-300, 30.0, None, lambda: 1.0) == 30.0
    assert backoff_delay(3, 1.0, 30.0, None, lambda: -5.0) == 0.0
    assert backoff_delay(3, 1.0, 30.0, None, lambda: 7.0) == 8.0


@pytest.mark.parametrize(("attempt", "base", "cap"), [(-1, 1.0, 1.0), (0, -1.0, 1.0), (0, 1.0, -1.0)])
def test_backoff_rejects_negative_arguments(attempt: int, base: float, cap: float) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        backoff_delay(attempt, base, cap, None, lambda: 0.5)
