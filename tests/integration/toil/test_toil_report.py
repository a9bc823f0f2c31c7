"""The toil report end to end: both sources on the same calls, the route, the daily run, and ``make toil``."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cxbridge.toil.rules import Scope
from local.toil_data import Disposition, generate_calls, genesys_id
from scripts.build_events import api_gateway_event

if TYPE_CHECKING:
    from tests.integration.toil.conftest import ToilStack

ROOT = Path(__file__).resolve().parents[3]
D = date(2026, 5, 10)
# 100 calls a day, so a share is exactly its number of calls. Only password resets are a candidate before.
BEFORE = (
    Disposition(genesys_id("wc-password-reset"), "Password reset", 0.22, 420.0),
    Disposition(genesys_id("wc-balance-inquiry"), "Balance inquiry", 0.12, 340.0),
    Disposition(genesys_id("wc-address-change"), "Address change", 0.20, 150.0),
    Disposition(genesys_id("wc-technical-issue"), "Technical issue", 0.15, 540.0),  # exactly 15 %: not "more than"
    Disposition("ININ-WRAP-UP-TIMEOUT", None, 0.16, 400.0),  # over both thresholds, but a system code
    Disposition(None, None, 0.08, 60.0, acw=False),
    Disposition(genesys_id("wc-sales"), "New sale", 0.07, 600.0, acw=False),  # wrapped up during the call: no ACW
)
# Balance inquiries grow past 15 %: they become a candidate.
NOW = (
    Disposition(genesys_id("wc-password-reset"), "Password reset", 0.22, 420.0),
    Disposition(genesys_id("wc-balance-inquiry"), "Balance inquiry", 0.18, 340.0),
    Disposition(genesys_id("wc-address-change"), "Address change", 0.14, 150.0),
    Disposition(genesys_id("wc-technical-issue"), "Technical issue", 0.15, 540.0),
    Disposition("ININ-WRAP-UP-TIMEOUT", None, 0.16, 400.0),
    Disposition(None, None, 0.08, 60.0, acw=False),
    Disposition(genesys_id("wc-sales"), "New sale", 0.07, 600.0, acw=False),
)
# Address changes get long: a third candidate.
LATER = (
    Disposition(genesys_id("wc-password-reset"), "Password reset", 0.22, 420.0),
    Disposition(genesys_id("wc-balance-inquiry"), "Balance inquiry", 0.18, 340.0),
    Disposition(genesys_id("wc-address-change"), "Address change", 0.20, 330.0),
    Disposition(genesys_id("wc-technical-issue"), "Technical issue", 0.10, 540.0),
    Disposition("ININ-WRAP-UP-TIMEOUT", None, 0.16, 400.0),
    Disposition(None, None, 0.08, 60.0, acw=False),
    Disposition(genesys_id("wc-sales"), "New sale", 0.06, 600.0, acw=False),
)
ONLY_ONE = (Disposition(genesys_id("wc-password-reset"), "Password reset", 1.0, 320.0),)


def seed_two_queues(toil: ToilStack) -> None:
    toil.seed(generate_calls([D - timedelta(1)], 100, BEFORE, seed=1, queue_id="q-general"))
    toil.seed(generate_calls([D], 100, NOW, seed=2, queue_id="q-general"))
    toil.seed(generate_calls([D - timedelta(1), D], 40, ONLY_ONE, seed=3, queue_id="q-billing"))


def report(toil: ToilStack, last_day: date, days: int = 1, scope: Scope = Scope.ORG) -> dict[str, Any]:
    from cxbridge.toil import wiring

    result: dict[str, Any] = wiring.toil_service().report(last_day, days, scope).as_dict()
    return result


def row(body: dict[str, Any], name: str, queue: str | None = None) -> dict[str, Any]:
    (found,) = [r for r in body["rows"] if r["disposition"] == name and r["queueId"] == queue]
    return dict(found)


@pytest.mark.parametrize(
    ("last_day", "days", "scope"),
    [
        (D, 1, Scope.ORG),
        (D, 1, Scope.QUEUE),
        (D, 2, Scope.ORG),
        (D + timedelta(1), 1, Scope.ORG),  # a day with no calls, after one with calls
        (D - timedelta(5), 3, Scope.QUEUE),  # no calls in either period
    ],
)
def test_records_and_genesys_analytics_give_the_same_report(
    toil: ToilStack, last_day: date, days: int, scope: Scope
) -> None:
    seed_two_queues(toil)

    from_records = report(toil, last_day, days, scope)
    toil.use_source("genesys-analytics")
    from_analytics = report(toil, last_day, days, scope)

    assert from_records.pop("source") == "records"
    assert from_analytics.pop("source") == "genesys-analytics"
    assert from_analytics == from_records


def test_the_planted_candidates_are_found(toil: ToilStack) -> None:
    seed_two_queues(toil)

    body = report(toil, D)
    assert body["totalCalls"] == 140
    general_only = report(toil, D, scope=Scope.QUEUE)

    assert body["candidates"] == [{"disposition": "Password reset", "queueId": None}]  # 62 of 140 calls
    assert [(c["disposition"], c["queueId"]) for c in general_only["candidates"]] == [
        ("Password reset", "q-billing"),  # the only disposition of its queue
        ("Password reset", "q-general"),  # in each queue, the most handle time first
        ("Balance inquiry", "q-general"),
    ]
    balance = row(general_only, "Balance inquiry", "q-general")
    assert (balance["sharePct"], balance["newCandidate"], balance["sharePctChange"]) == (18.0, True, 6.0)
    timeout = row(general_only, "ININ-WRAP-UP-TIMEOUT", "q-general")
    assert (timeout["kind"], timeout["sharePct"], timeout["ahtSeconds"], timeout["candidate"]) == (
        "system",
        16.0,
        400.0,
        False,
    )
    assert row(general_only, "Technical issue", "q-general")["candidate"] is False  # exactly 15 %
    assert row(general_only, "(no disposition)", "q-general")["kind"] == "none"
    sales = row(general_only, "New sale", "q-general")
    assert (sales["avgAcwSeconds"], sales["ahtSeconds"]) == (0.0, 600.0)


def get(query: dict[str, str] | None) -> dict[str, Any]:
    event = api_gateway_event("/toil/report", {})
    event.update(httpMethod="GET", body=None, queryStringParameters=query)
    return event


def invoke_route(toil: ToilStack, query: dict[str, str] | None) -> tuple[int, dict[str, Any], dict[str, str]]:
    result = toil.stack.invoke("toil_report_api", get(query))
    return result["statusCode"], json.loads(result["body"]), result["headers"]


def test_the_route_answers_the_report(toil: ToilStack) -> None:
    seed_two_queues(toil)

    status, body, headers = invoke_route(toil, {"date": D.isoformat(), "days": "1", "scope": "queue"})

    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert body == report(toil, D, 1, Scope.QUEUE)


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"date": "2026-13-01"}, ["date"]),
        ({"date": "10/05/2026"}, ["date"]),
        ({"days": "0"}, ["days"]),
        ({"days": "365"}, ["days"]),
        ({"days": "-1"}, ["days"]),
        ({"days": "NaN"}, ["days"]),
        ({"scope": "everything"}, ["scope"]),
        ({"date": "x" * 5000, "days": "\u0000"}, ["date", "days"]),
    ],
)
def test_bad_parameters_get_a_400_naming_them_before_any_work(
    toil: ToilStack, query: dict[str, str], fields: list[str]
) -> None:
    status, body, _ = invoke_route(toil, query)

    assert status == 400
    assert [e["field"] for e in body["errors"]] == fields
    assert toil.genesys.requests("token") == 0


def test_the_route_answers_503_while_genesys_throttles(toil: ToilStack) -> None:
    seed_two_queues(toil)
    toil.genesys.configure(throttle_ratio=1.0)

    status, body, headers = invoke_route(toil, {"date": D.isoformat()})

    assert (status, body["error"], headers["Retry-After"]) == (503, "unavailable", "30")


def scheduled(toil: ToilStack, fired: date) -> dict[str, Any]:
    event = {"version": "0", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}}
    return toil.stack.invoke("toil_daily", {**event, "time": f"{fired.isoformat()}T02:15:00Z"})


def test_the_daily_run_stores_each_report_and_announces_only_new_candidates(
    toil: ToilStack, capsys: pytest.CaptureFixture[str]
) -> None:
    toil.seed(generate_calls([D - timedelta(1)], 100, BEFORE, seed=1))
    toil.seed(generate_calls([D, D + timedelta(1)], 100, NOW, seed=2))
    toil.seed(generate_calls([D + timedelta(2)], 100, LATER, seed=3))

    first = scheduled(toil, D + timedelta(1))  # reports D; nothing stored yet: compared with the day before
    second = scheduled(toil, D + timedelta(2))  # reports D+1: the same candidates as the stored D
    third = toil.stack.invoke("toil_daily", {"date": (D + timedelta(2)).isoformat()})  # a manual run

    assert [(r["reportDate"], r["newCandidates"], r["comparedWith"]) for r in (first, second, third)] == [
        ("2026-05-10", ["Balance inquiry"], "previous-period"),
        ("2026-05-11", [], "stored-report"),
        ("2026-05-12", ["Address change"], "stored-report"),
    ]
    notices = toil.notices()
    assert [n["subject"] for n in notices] == [
        "cxbridge toil: 1 new automation candidate(s), 2026-05-10",
        "cxbridge toil: 1 new automation candidate(s), 2026-05-12",
    ]
    assert [[c["disposition"] for c in n["newCandidates"]] for n in notices] == [
        ["Balance inquiry"],
        ["Address change"],
    ]
    assert notices[0]["summary"].startswith("Balance inquiry: 18.0% of calls, AHT 340 s")
    stored = toil.stored("org#1d", "2026-05-10")
    assert stored is not None
    assert stored["report"] == report(toil, D)
    assert [c["M"]["disposition"]["S"] for c in stored["candidates"]["L"]] == ["Password reset", "Balance inquiry"]
    metrics = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"ToilCandidateSharePct"' in line]
    assert [(m["disposition"], m["ToilCandidateSharePct"], m["scope"]) for m in metrics[:2]] == [
        ("Password reset", [22.0], "org"),
        ("Balance inquiry", [18.0], "org"),
    ]
    assert len(metrics) == 2 + 2 + 3


def test_a_day_without_calls_is_stored_empty_and_announces_nothing(toil: ToilStack) -> None:
    result = scheduled(toil, D)

    assert (result["totalCalls"], result["candidates"], result["newCandidates"]) == (0, [], [])
    stored = toil.stored("org#1d", (D - timedelta(1)).isoformat())
    assert stored is not None
    assert (stored["totalCalls"], stored["report"]["rows"]) == ({"N": "0"}, [])
    assert toil.notices() == []


def test_make_toil_prints_the_table_and_writes_the_chart(tmp_path: Path) -> None:
    chart = tmp_path / "toil.html"
    args = ["--date", "2026-05-10", "--days", "2", "--calls-per-day", "100", "--out", str(chart)]
    outputs = []
    for source in ("records", "genesys-analytics"):
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "scripts.toil", *args, "--source", source],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        outputs.append(done.stdout.replace(f"source {source}", "source X"))

    assert outputs[0] == outputs[1]
    lines = {line.split("  ")[0]: line.rstrip() for line in outputs[0].splitlines()}
    assert lines["Password reset"].endswith("yes")
    assert lines["Balance inquiry"].endswith("NEW")
    assert lines["ININ-WRAP-UP-TIMEOUT"].endswith("n/a")
    page = chart.read_text()
    assert page.count("<svg") == 1
    assert page.count('<circle class="candidate"') == 2
