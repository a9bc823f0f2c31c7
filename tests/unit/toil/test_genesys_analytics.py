"""The Analytics source against the Genesys sandbox over HTTP on 127.0.0.1: the query, the sums, the failures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
import requests
import requests.adapters

from cxbridge.core.oauth import TokenCache
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.genesys.client import GenesysClient
from cxbridge.genesys.oauth import GenesysTokenSource
from cxbridge.toil.genesys_analytics import AGGREGATES_PATH, GenesysAnalyticsTallies, aggregates_query
from cxbridge.toil.rules import DispositionRef, Period, Tally
from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET
from local.sandboxes.genesys import GenesysSandbox
from local.sandboxes.genesys_analytics import AnalyticsCall

if TYPE_CHECKING:
    from collections.abc import Iterator

D1 = date(2026, 5, 1)


def at(day: date, hour: int) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp() * 1000)


CALLS = [
    AnalyticsCall("c1", at(D1, 9), "wc-pwd", "q-a", talk_ms=300_000, held_ms=20_000, acw_ms=100_000),
    AnalyticsCall("c2", at(D1, 10), "wc-pwd", "q-b", talk_ms=200_000, acw_ms=50_000),
    AnalyticsCall("c3", at(D1, 11), "wc-pwd", "q-a", media_type="callback", talk_ms=100_000),  # a second group
    AnalyticsCall("c4", at(D1, 12), None, "q-a", talk_ms=30_000),  # no wrap-up code
    AnalyticsCall("c5", at(date(2026, 5, 2), 0), "wc-pwd", "q-a", talk_ms=1),  # the next day: outside
    AnalyticsCall("c6", at(date(2026, 4, 30), 23), "wc-bal", "q-a", talk_ms=1),  # the day before: outside
]


@pytest.fixture
def genesys() -> Iterator[GenesysSandbox]:
    with GenesysSandbox(wrapup_codes={"wc-pwd": "Password reset"}, calls=CALLS, seed=3) as server:
        yield server


def tokens(server: GenesysSandbox) -> TokenCache:
    return TokenCache(GenesysTokenSource(server.url, SANDBOX_CLIENT_ID, SANDBOX_SECRET))


def test_the_query_asks_for_whole_utc_days_grouped_by_wrap_up_code() -> None:
    assert aggregates_query(Period.ending(D1, 7), per_queue=True) == {
        "interval": "2026-04-25T00:00:00.000Z/2026-05-02T00:00:00.000Z",
        "granularity": "P1D",
        "timeZone": "UTC",
        "groupBy": ["wrapUpCode", "queueId"],
        "metrics": ["nConnected", "tHandle", "tAcw", "tTalk", "tHeld"],
    }
    assert aggregates_query(Period.ending(D1, 1), per_queue=False)["groupBy"] == ["wrapUpCode"]


def test_totals_per_code_sum_extra_group_dimensions_and_keep_calls_without_a_code(genesys: GenesysSandbox) -> None:
    source = GenesysAnalyticsTallies(tokens(genesys), genesys.url)

    org = source.tallies(Period.ending(D1, 1), per_queue=False)
    per_queue = source.tallies(Period.ending(D1, 1), per_queue=True)

    assert org == {
        (DispositionRef("wc-pwd"), None): Tally(3, 3, 770_000, 600_000, 20_000, 150_000),
        (DispositionRef(), None): Tally(1, 1, 30_000, 30_000, 0, 0),
    }
    assert per_queue[(DispositionRef("wc-pwd"), "q-a")] == Tally(2, 2, 520_000, 400_000, 20_000, 100_000)
    assert per_queue[(DispositionRef("wc-pwd"), "q-b")] == Tally(1, 1, 250_000, 200_000, 0, 50_000)


def test_days_are_summed_over_a_longer_period(genesys: GenesysSandbox) -> None:
    source = GenesysAnalyticsTallies(tokens(genesys), genesys.url)

    week = source.tallies(Period.ending(date(2026, 5, 2), 3), per_queue=False)

    assert week[(DispositionRef("wc-pwd"), None)].calls == 4
    assert week[(DispositionRef("wc-bal"), None)].calls == 1


def test_an_empty_org_answers_no_results(genesys: GenesysSandbox) -> None:
    assert (
        GenesysAnalyticsTallies(tokens(genesys), genesys.url).tallies(
            Period.ending(D1, 1).previous().previous(), per_queue=False
        )
        == {}
    )


def test_the_client_and_the_analytics_source_share_one_login(genesys: GenesysSandbox) -> None:
    shared = tokens(genesys)

    GenesysAnalyticsTallies(shared, genesys.url).tallies(Period.ending(D1, 1), per_queue=False)
    assert GenesysClient(shared, genesys.url).get_wrapup_code_name("wc-pwd") == "Password reset"

    assert genesys.requests("token") == 1


def test_429_raises_throttled_with_retry_after(genesys: GenesysSandbox) -> None:
    genesys.configure(throttle_ratio=1.0, retry_after_s=17)

    with pytest.raises(UpstreamFailure) as caught:
        GenesysAnalyticsTallies(tokens(genesys), genesys.url).tallies(Period.ending(D1, 1), per_queue=False)

    assert (caught.value.status, caught.value.retry_after_s) == (WriteStatus.THROTTLED, 17.0)


def test_an_expired_token_is_renewed_once(genesys: GenesysSandbox) -> None:
    genesys.configure(expire_tokens_after=1)
    source = GenesysAnalyticsTallies(tokens(genesys), genesys.url)

    assert source.tallies(Period.ending(D1, 1), per_queue=False) == source.tallies(
        Period.ending(D1, 1), per_queue=False
    )
    assert genesys.requests("token") == 2


def test_a_timeout_raises_transient(genesys: GenesysSandbox) -> None:
    genesys.configure(timeout_ratio=1.0, hang_s=2.0)

    with pytest.raises(UpstreamFailure) as caught:
        GenesysAnalyticsTallies(tokens(genesys), genesys.url, timeout_s=0.3).tallies(
            Period.ending(D1, 1), per_queue=False
        )

    assert (caught.value.status, caught.value.reason) == (WriteStatus.TRANSIENT, "timeout")


def test_the_sandbox_rejects_what_genesys_would(genesys: GenesysSandbox) -> None:
    token = tokens(genesys).get()
    url = genesys.url + AGGREGATES_PATH
    headers = token.headers()

    no_interval = requests.post(url, json={"metrics": ["tHandle"]}, headers=headers, timeout=5)
    unknown_metric = requests.post(
        url,
        json={"interval": "2026-05-01T00:00:00Z/2026-05-02T00:00:00Z", "metrics": ["nBogus"]},
        headers=headers,
        timeout=5,
    )
    no_token = requests.post(url, json={}, timeout=5)

    assert [r.status_code for r in (no_interval, unknown_metric, no_token)] == [400, 400, 401]
    assert no_interval.json()["code"] == "bad.request"


class _Canned(requests.adapters.BaseAdapter):
    """A transport that answers every request with one fixed JSON body."""

    def __init__(self, body: bytes) -> None:
        super().__init__()
        self.body = body

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code, response._content, response.request = 200, self.body, request
        return response

    def close(self) -> None:
        """Nothing to release."""


def test_a_malformed_answer_is_transient(genesys: GenesysSandbox) -> None:
    session = requests.Session()
    session.mount("http://", _Canned(b'{"results": "nope"}'))

    with pytest.raises(UpstreamFailure) as caught:
        GenesysAnalyticsTallies(tokens(genesys), genesys.url, session=session).tallies(
            Period.ending(D1, 1), per_queue=False
        )

    assert (caught.value.status, caught.value.reason) == (WriteStatus.TRANSIENT, "bad-response")
