"""The toil use cases on in-memory fakes: naming, periods, and which candidates the daily run announces."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cxbridge.toil.report import ToilRunService, ToilService
from cxbridge.toil.rules import DispositionRef, Scope, SourceKey, Tally, ToilPolicy, call_tally
from tests.unit.toil.fakes import FakeMetrics, FakeNotifier, FakeResolver, FakeSource, FakeStore

D1 = date(2026, 5, 1)
NAMES = {"wc-pwd": "Password reset", "wc-bal": "Balance inquiry", "wc-addr": "Address change"}


def calls(n: int, handle_s: int) -> Tally:
    one = call_tally(handle_s * 1000, None, None, handle_s * 1000)
    return Tally(n, n, one.handle_ms * n, one.talk_ms * n)


def day(pwd: int, bal: int, addr: int) -> dict[SourceKey, Tally]:
    """A day of 100 calls: password resets and balance inquiries are long, address changes short."""
    mix = {"wc-pwd": (pwd, 420), "wc-bal": (bal, 340), "wc-addr": (addr, 120)}
    rest = 100 - pwd - bal - addr
    tallies: dict[SourceKey, Tally] = {(DispositionRef(c), "q-1"): calls(n, s) for c, (n, s) in mix.items() if n}
    tallies[(DispositionRef("ININ-WRAP-UP-TIMEOUT"), "q-1")] = calls(rest, 200)
    return tallies


def service(days: dict[date, dict[SourceKey, Tally]], today: date = D1 + timedelta(days=1)) -> ToilService:
    return ToilService(FakeSource(days), lambda: FakeResolver(NAMES), ToilPolicy(), "fake", today=lambda: today)


def test_the_default_report_is_yesterday_compared_with_the_day_before() -> None:
    source = FakeSource({D1: day(22, 10, 30)})
    toil = ToilService(source, lambda: FakeResolver(NAMES), ToilPolicy(), "fake", today=lambda: date(2026, 5, 2))

    r = toil.report()

    assert [(p.first, p.last) for p, _ in source.asked] == [(D1, D1), (D1 - timedelta(1), D1 - timedelta(1))]
    assert [row.disposition for row in r.candidates] == ["Password reset"]


def test_each_code_is_named_once_even_when_seen_in_both_periods() -> None:
    resolver = FakeResolver(NAMES)
    toil = ToilService(
        FakeSource({D1: day(22, 10, 30), D1 - timedelta(1): day(20, 10, 30)}), lambda: resolver, ToilPolicy(), "x"
    )

    toil.report(D1)

    assert set(resolver.lookups.values()) == {1}
    assert set(resolver.lookups) == {*NAMES, "ININ-WRAP-UP-TIMEOUT"}


def test_queue_scope_asks_the_source_per_queue() -> None:
    source = FakeSource({D1: day(22, 10, 30)})
    r = ToilService(source, lambda: FakeResolver(NAMES), ToilPolicy(), "fake").report(D1, 1, Scope.QUEUE)

    assert {per_queue for _, per_queue in source.asked} == {True}
    assert {row.queue_id for row in r.rows} == {"q-1"}


@pytest.mark.parametrize("days", [0, 32])
def test_a_period_is_one_to_31_days(days: int) -> None:
    with pytest.raises(ValueError, match="days"):
        service({}).report(D1, days)


def run_service(toil: ToilService) -> tuple[ToilRunService, FakeStore, FakeNotifier, FakeMetrics]:
    store, notifier, metrics = FakeStore(), FakeNotifier(), FakeMetrics()
    return ToilRunService(toil, store, notifier, metrics, days=1, scope=Scope.ORG), store, notifier, metrics


def test_the_daily_run_announces_only_dispositions_that_became_candidates() -> None:
    days = {
        D1 - timedelta(1): day(22, 10, 30),  # password resets already a candidate
        D1: day(22, 18, 30),  # balance inquiries become one
        D1 + timedelta(1): day(22, 18, 30),  # nothing changes
        D1 + timedelta(2): day(10, 18, 30),  # password resets drop out
        D1 + timedelta(3): day(22, 18, 30),  # ... and come back
    }
    runner, store, notifier, metrics = run_service(service(days))

    first = runner.run(D1)
    assert (first.compared_with, [r.disposition for r in first.new_candidates]) == (
        "previous-period",
        ["Balance inquiry"],
    )
    for n in (1, 2, 3):
        assert runner.run(D1 + timedelta(n)).compared_with == "stored-report"

    assert notifier.notices == [["Balance inquiry"], ["Password reset"]]
    assert [m[1] for m in metrics.published] == [["Balance inquiry"], [], [], ["Password reset"]]
    assert [m[0] for m in metrics.published][1] == ["Password reset", "Balance inquiry"]
    assert sorted(d for _, d in store.reports) == [D1 + timedelta(n) for n in range(4)]


def test_rerunning_a_day_replaces_its_report_and_compares_with_the_same_earlier_one() -> None:
    days = {D1 - timedelta(1): day(22, 10, 30), D1: day(22, 18, 30)}
    runner, store, notifier, _ = run_service(service(days))

    runner.run(D1 - timedelta(1))
    runner.run(D1)
    runner.run(D1)

    assert notifier.notices == [["Password reset"], ["Balance inquiry"], ["Balance inquiry"]]
    assert len(store.reports) == 2


def test_a_day_without_calls_is_stored_and_announces_nothing() -> None:
    runner, store, notifier, metrics = run_service(service({}))

    run = runner.run(D1)

    assert (run.report.total_calls, run.new_candidates) == (0, ())
    assert notifier.notices == []
    assert metrics.published == [([], [])]
    assert list(store.reports) == [("org#1d", D1)]


def test_a_period_without_coded_calls_never_asks_for_the_resolver() -> None:
    def no_login() -> FakeResolver:
        raise AssertionError("the resolver (a Genesys login) was built for a report with no code to name")

    r = ToilService(FakeSource({}), no_login, ToilPolicy(), "fake").report(D1, 7)

    assert r.total_calls == 0
