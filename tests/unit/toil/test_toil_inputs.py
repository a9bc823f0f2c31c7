"""The route's query string, the schedule's event, and the generated sample calls."""

from __future__ import annotations

from datetime import date

import pytest

from cxbridge.calls.store import record_to_item
from cxbridge.core.errors import InvalidRequest
from cxbridge.toil.models import ReportQuery, ScheduledRun
from cxbridge.toil.rules import Scope
from local.toil_data import (
    PLANTED,
    Disposition,
    apportion,
    call_record,
    generate_calls,
    genesys_id,
    sample_calls,
    wrapup_code_names,
)


def query(params: dict[str, str] | None) -> ReportQuery:
    return ReportQuery.from_event({"queryStringParameters": params})


def test_the_query_defaults_to_one_day_at_org_scope() -> None:
    assert query(None) == ReportQuery(date=None, days=1, scope=Scope.ORG)
    assert query({"date": "2026-05-01", "days": "7", "scope": "queue", "other": "x"}) == ReportQuery(
        date=date(2026, 5, 1), days=7, scope=Scope.QUEUE
    )


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"date": "yesterday"}, ["date"]),
        ({"date": "1777593600"}, ["date"]),  # epoch seconds: pydantic alone would take them
        ({"date": "2026-02-30"}, ["date"]),
        ({"date": ""}, ["date"]),
        ({"days": "0"}, ["days"]),
        ({"days": "32"}, ["days"]),
        ({"days": "1.5"}, ["days"]),
        ({"days": "many"}, ["days"]),
        ({"scope": "team"}, ["scope"]),
        ({"date": "x", "days": "x"}, ["date", "days"]),
    ],
)
def test_a_bad_parameter_is_named(params: dict[str, str], fields: list[str]) -> None:
    with pytest.raises(InvalidRequest) as caught:
        query(params)

    assert caught.value.status == 400
    assert [e.field for e in caught.value.errors] == fields


def test_the_schedule_reports_the_day_before_it_fired_and_a_manual_date_wins() -> None:
    fired = {"detail-type": "Scheduled Event", "source": "aws.events", "time": "2026-05-02T02:15:00Z", "detail": {}}

    assert ScheduledRun.model_validate(fired).report_day() == date(2026, 5, 1)
    assert ScheduledRun.model_validate({**fired, "date": "2026-04-01"}).report_day() == date(2026, 4, 1)
    assert ScheduledRun.model_validate({}).report_day() is None


def test_apportion_gives_whole_calls_that_add_up() -> None:
    assert apportion(10, [0.22, 0.18, 0.6]) == [2, 2, 6]
    assert sum(apportion(997, [d.share for d in PLANTED])) == 997
    assert apportion(0, [0.5, 0.5]) == [0, 0]


def test_generated_calls_are_deterministic_with_exact_shares_and_daily_aht() -> None:
    days = [date(2026, 5, 1), date(2026, 5, 2)]
    mix = (Disposition("wc-a", "A", 0.3, 400.0), Disposition("wc-b", "B", 0.7, 100.0, acw=False))

    calls = generate_calls(days, 50, mix, seed=5)

    assert calls == generate_calls(days, 50, mix, seed=5)
    assert calls != generate_calls(days, 50, mix, seed=6)
    a = [c for c in calls if c.code_id == "wc-a"]
    assert len(a) == 30
    assert sum(c.talk_ms + (c.held_ms or 0) + (c.acw_ms or 0) for c in a) / 30 == pytest.approx(400_000, abs=1)
    assert all(c.acw_ms is None for c in calls if c.code_id == "wc-b")


def test_a_generated_call_becomes_the_record_the_ingest_path_writes() -> None:
    (call,) = generate_calls([date(2026, 5, 1)], 1, (Disposition("wc-a", "A", 1.0, 300.0),), seed=1)

    item = record_to_item(call_record(call), retention_days=1, now_ms=0)

    assert item["callDate"] == {"S": "2026-05-01"}
    assert item["wrapupCodeId"] == {"S": "wc-a"}
    assert item["queueId"] == {"S": genesys_id("q-general")}
    assert int(item["handleMs"]["N"]) == call.talk_ms + (call.held_ms or 0) + (call.acw_ms or 0)


def test_sample_calls_plant_two_candidates_over_three_queues() -> None:
    calls = sample_calls(date(2026, 5, 10), 7, 100, seed=1)

    assert len(calls) == 2 * 7 * 100
    assert {c.queue_id for c in calls} == {genesys_id(q) for q in ("q-general", "q-billing", "q-support")}
    assert "ININ-WRAP-UP-TIMEOUT" not in wrapup_code_names(PLANTED)
    assert wrapup_code_names(PLANTED)[genesys_id("wc-password-reset")] == "Password reset"
