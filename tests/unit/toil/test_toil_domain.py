"""The toil arithmetic: shares, AHT, the candidate rule at its edges, names, trend and the hours-saved estimate."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxbridge.toil.rules import (
    NO_DISPOSITION,
    DispositionKind,
    DispositionRef,
    Period,
    Scope,
    SourceKey,
    Tally,
    ToilPolicy,
    ToilReport,
    accumulate,
    build_report,
    call_tally,
    name_tallies,
    new_candidates,
)

if TYPE_CHECKING:
    import random

DAY = date(2026, 5, 1)


class _Names(dict[str, str]):
    """Wrap-up code names as the resolver gives them: a code it does not know keeps its id."""

    def __missing__(self, key: str) -> str:
        return key


NAMES = _Names({"wc-pwd": "Password reset", "wc-bal": "Balance inquiry", "wc-pwd-2": "Password reset"})


def calls(n: int, handle_s: float, *, acw_s: float | None = 60.0, held_s: float | None = None) -> Tally:
    """``n`` calls of ``handle_s`` each (talk is what remains after ACW and hold)."""
    handle = round(handle_s * 1000)
    acw = None if acw_s is None else round(acw_s * 1000)
    held = None if held_s is None else round(held_s * 1000)
    one = call_tally(handle - (acw or 0) - (held or 0), held, acw, handle)
    total = Tally()
    for _ in range(n):
        total += one
    return total


def report(
    current: dict[SourceKey, Tally],
    previous: dict[SourceKey, Tally] | None = None,
    *,
    days: int = 1,
    scope: Scope = Scope.ORG,
    policy: ToilPolicy | None = None,
) -> ToilReport:
    return build_report(
        name_tallies(current, NAMES),
        name_tallies(previous or {}, NAMES),
        period=Period.ending(DAY, days),
        scope=scope,
        policy=policy or ToilPolicy(),
        source="test",
    )


def code(code_id: str, queue: str | None = None) -> SourceKey:
    return (DispositionRef(code_id), queue)


def row_of(r: ToilReport, name: str, queue: str | None = None) -> dict[str, object]:
    (row,) = [x for x in r.as_dict()["rows"] if x["disposition"] == name and x["queueId"] == queue]
    return dict(row)


def test_a_disposition_over_both_thresholds_is_a_candidate() -> None:
    r = report({code("wc-pwd"): calls(20, 400), code("wc-bal"): calls(80, 100)})

    assert [row.disposition for row in r.candidates] == ["Password reset"]
    pwd = row_of(r, "Password reset")
    assert (pwd["calls"], pwd["sharePct"], pwd["ahtSeconds"], pwd["handleHours"]) == (20, 20.0, 400.0, 2.22)
    assert row_of(r, "Balance inquiry")["candidate"] is False  # 80 % of the calls, but short ones


@pytest.mark.parametrize(
    ("n", "handle_s", "candidate"),
    [
        (15, 301, False),  # exactly 15 % is not "more than 15 %"
        (16, 300, False),  # exactly 300 s is not "over 300 s"
        (16, 300.001, True),
    ],
)
def test_both_thresholds_are_strict(n: int, handle_s: float, candidate: bool) -> None:
    r = report({code("wc-pwd"): calls(n, handle_s), code("wc-bal"): calls(100 - n, 60)})

    assert row_of(r, "Password reset")["candidate"] is candidate


def test_thresholds_come_from_the_policy() -> None:
    current = {code("wc-pwd"): calls(12, 250), code("wc-bal"): calls(88, 60)}

    assert report(current).candidates == ()
    lenient = ToilPolicy(share_threshold_pct=10, aht_threshold_s=200)
    assert [row.disposition for row in report(current, policy=lenient).candidates] == ["Password reset"]


def test_system_codes_and_calls_without_a_disposition_are_reported_but_never_candidates() -> None:
    r = report(
        {
            code("ININ-WRAP-UP-TIMEOUT"): calls(40, 500),
            (DispositionRef(), None): calls(40, 500, acw_s=None),
            code("wc-bal"): calls(20, 100),
        }
    )

    timeout, none = row_of(r, "ININ-WRAP-UP-TIMEOUT"), row_of(r, NO_DISPOSITION)
    assert (timeout["kind"], timeout["sharePct"], timeout["candidate"]) == ("system", 40.0, False)
    assert (none["kind"], none["sharePct"], none["candidate"]) == ("none", 40.0, False)
    assert timeout["hoursSavedPerMonth"] == none["hoursSavedPerMonth"] == 0.0
    assert r.total_calls == 100  # they count in the volume: every other share is of all calls
    assert r.candidates == ()


def test_a_day_with_no_calls_gives_an_empty_report() -> None:
    r = report({})

    assert (r.total_calls, r.rows, r.candidates) == (0, (), ())
    assert r.as_dict()["rows"] == []
    assert r.as_dict()["reportDate"] == "2026-05-01"


def test_one_disposition_is_the_whole_volume() -> None:
    r = report({code("wc-pwd"): calls(3, 301)})

    pwd = row_of(r, "Password reset")
    assert (pwd["sharePct"], pwd["candidate"]) == (100.0, True)


def test_calls_without_after_call_work_have_a_handle_time_of_talk_and_hold() -> None:
    r = report({code("wc-pwd"): calls(10, 320, acw_s=None, held_s=20)})

    pwd = row_of(r, "Password reset")
    assert (pwd["ahtSeconds"], pwd["avgTalkSeconds"], pwd["avgHoldSeconds"], pwd["avgAcwSeconds"]) == (
        320.0,
        300.0,
        20.0,
        0.0,
    )


def test_a_call_without_any_duration_counts_in_volume_but_not_in_aht() -> None:
    unhandled = call_tally(None, None, None, None)
    r = report({code("wc-pwd"): calls(1, 400) + unhandled, code("wc-bal"): calls(2, 60)})

    pwd = row_of(r, "Password reset")
    assert (pwd["calls"], pwd["handled"], pwd["sharePct"], pwd["ahtSeconds"]) == (2, 1, 50.0, 400.0)


def test_dispositions_are_the_names_codes_and_webhook_names_merged() -> None:
    r = report(
        {
            code("wc-pwd"): calls(10, 400),
            code("wc-pwd-2"): calls(10, 200),
            (DispositionRef(name="Password reset"), None): calls(5, 300),
        }
    )

    (row,) = r.rows
    assert (row.disposition, row.kind, row.current.tally.calls, row.current.aht_s) == (
        "Password reset",
        DispositionKind.CODE,
        25,
        (4000 + 2000 + 1500) / 25,
    )


def test_the_trend_compares_with_the_previous_period_of_the_same_length() -> None:
    r = report(
        {code("wc-pwd"): calls(30, 400), code("wc-bal"): calls(70, 100)},
        {code("wc-pwd"): calls(10, 350), code("wc-bal"): calls(80, 100), code("wc-gone"): calls(10, 500)},
        days=7,
    )

    assert (r.period.first, r.period.last, r.previous_total_calls) == (date(2026, 4, 25), DAY, 100)
    pwd = row_of(r, "Password reset")
    assert (pwd["newCandidate"], pwd["sharePctChange"], pwd["ahtSecondsChange"]) == (True, 20.0, 50.0)
    assert pwd["previous"] == {
        "calls": 10,
        "handled": 10,
        "sharePct": 10.0,
        "ahtSeconds": 350.0,
        "avgTalkSeconds": 290.0,
        "avgHoldSeconds": 0.0,
        "avgAcwSeconds": 60.0,
        "handleHours": 0.97,
        "candidate": False,
    }
    gone = row_of(r, "wc-gone")  # an unknown code id keeps its id as its name; it had no calls this period
    assert (gone["calls"], gone["ahtSeconds"], gone["sharePctChange"], gone["candidate"]) == (0, None, -10.0, False)


def test_hours_saved_is_the_daily_handle_time_over_an_average_month_times_the_automation_rate() -> None:
    # 7 days, 70 handle hours: 10 hours a day, 365.25 / 12 days a month, half of it automated
    r = report({code("wc-pwd"): calls(700, 360)}, days=7, policy=ToilPolicy(automation_rate=0.5))

    (row,) = r.rows
    assert row.hours_saved_per_month == pytest.approx(10 * 365.25 / 12 * 0.5)


def test_at_queue_scope_shares_are_of_each_queue() -> None:
    r = report(
        {
            code("wc-pwd", "q-a"): calls(5, 400),
            code("wc-bal", "q-a"): calls(5, 100),
            code("wc-pwd", "q-b"): calls(1, 400),
            code("wc-bal", "q-b"): calls(99, 100),
        },
        scope=Scope.QUEUE,
    )

    assert row_of(r, "Password reset", "q-a")["sharePct"] == 50.0
    assert row_of(r, "Password reset", "q-b")["sharePct"] == 1.0
    assert [row.key for row in r.candidates] == [("q-a", "Password reset")]
    assert r.report_key == "queue#1d"


def test_new_candidates_are_those_not_known_before() -> None:
    r = report({code("wc-pwd"): calls(40, 400), code("wc-bal"): calls(40, 400), code("wc-x"): calls(20, 10)})

    assert [row.disposition for row in new_candidates(r, {(None, "Password reset")})] == ["Balance inquiry"]
    assert new_candidates(r, {(None, "Password reset"), (None, "Balance inquiry")}) == ()


def test_periods() -> None:
    week = Period.ending(DAY, 7)

    assert (week.first, week.days, len(week.dates())) == (date(2026, 4, 25), 7, 7)
    assert week.previous() == Period(date(2026, 4, 18), date(2026, 4, 24))
    with pytest.raises(ValueError, match="at least one day"):
        Period.ending(DAY, 0)


def _one_call(code_id: str, talk_ms: int | None, acw_ms: int | None) -> tuple[str, Tally]:
    handle = None if talk_ms is None and acw_ms is None else (talk_ms or 0) + (acw_ms or 0)
    return code_id, call_tally(talk_ms, None, acw_ms, handle)


_CALL = st.builds(
    _one_call,
    st.sampled_from(["wc-pwd", "wc-bal", "ININ-WRAP-UP-TIMEOUT"]),
    st.none() | st.integers(0, 3_600_000),
    st.none() | st.integers(0, 600_000),
)


@settings(derandomize=True, deadline=None, max_examples=100)
@given(st.lists(_CALL, max_size=60), st.randoms(use_true_random=False))
def test_the_report_depends_only_on_the_calls_not_on_how_a_source_groups_them(
    calls_: list[tuple[str, Tally]], rng: random.Random
) -> None:
    """Records add calls one by one, Analytics per day and per extra dimension: any grouping, the same report."""
    one_by_one: dict[SourceKey, Tally] = {}
    for code_id, tally in calls_:
        accumulate(one_by_one, code(code_id), tally)
    shuffled = list(calls_)
    rng.shuffle(shuffled)
    halves: list[dict[SourceKey, Tally]] = [{}, {}]
    for n, (code_id, tally) in enumerate(shuffled):
        accumulate(halves[n % 2], code(code_id), tally)
    regrouped: dict[SourceKey, Tally] = {}
    for half in halves:
        for key, tally in half.items():
            accumulate(regrouped, key, tally)

    assert report(regrouped) == report(one_by_one)
