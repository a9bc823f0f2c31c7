"""GenesysClient and WrapupCodeResolver against the Genesys fake over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from cxbridge.core.oauth import TokenCache
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.genesys.client import GenesysClient, TtlCache, WrapupCodeNotFound, WrapupCodeResolver
from cxbridge.genesys.oauth import GenesysTokenSource
from cxbridge.genesys.ports import CustomerIdentity
from cxbridge.genesys.regions import region_domain
from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET
from tests.unit.adapters.support import SHORT_TIMEOUT_S, FakeClock

if TYPE_CHECKING:
    from local.sandboxes.genesys import GenesysSandbox


def make_client(server: GenesysSandbox, timeout_s: float = 5.0) -> GenesysClient:
    tokens = TokenCache(GenesysTokenSource(server.url, SANDBOX_CLIENT_ID, SANDBOX_SECRET))
    return GenesysClient(tokens, server.url, timeout_s=timeout_s)


def test_get_wrapup_code_name(genesys: GenesysSandbox) -> None:
    client = make_client(genesys)

    assert client.get_wrapup_code_name("wc-1") == "Resolved"
    assert client.get_wrapup_code_name("wc-2") == "Callback requested"
    assert genesys.requests("token") == 1


def test_an_unknown_code_raises_not_found(genesys: GenesysSandbox) -> None:
    with pytest.raises(WrapupCodeNotFound):
        make_client(genesys).get_wrapup_code_name("deleted-code")


def test_429_raises_with_retry_after(genesys: GenesysSandbox) -> None:
    genesys.configure(throttle_ratio=1.0, retry_after_s=42)

    with pytest.raises(UpstreamFailure) as caught:
        make_client(genesys).get_wrapup_code_name("wc-1")

    assert (caught.value.status, caught.value.retry_after_s, caught.value.reason) == (
        WriteStatus.THROTTLED,
        42.0,
        "too.many.requests.retry.after",
    )


def test_a_timeout_raises_transient(genesys: GenesysSandbox) -> None:
    genesys.configure(timeout_ratio=1.0)

    with pytest.raises(UpstreamFailure) as caught:
        make_client(genesys, timeout_s=SHORT_TIMEOUT_S).get_wrapup_code_name("wc-1")

    assert (caught.value.status, caught.value.reason) == (WriteStatus.TRANSIENT, "timeout")


def test_an_expired_token_is_renewed_once(genesys: GenesysSandbox) -> None:
    genesys.configure(expire_tokens_after=1)
    client = make_client(genesys)

    assert [client.get_wrapup_code_name("wc-1"), client.get_wrapup_code_name("wc-2")] == [
        "Resolved",
        "Callback requested",
    ]
    assert genesys.requests("token") == 2


def test_the_resolver_caches_names(genesys: GenesysSandbox) -> None:
    resolver = WrapupCodeResolver(make_client(genesys))

    assert resolver.resolve("wc-1") == "Resolved"
    assert resolver.resolve("wc-1") == "Resolved"
    assert genesys.requests("wrapupcode") == 1


def test_the_resolver_asks_again_after_the_ttl(genesys: GenesysSandbox, clock: FakeClock) -> None:
    resolver = WrapupCodeResolver(make_client(genesys), cache=TtlCache(ttl_s=60, clock=clock))
    resolver.resolve("wc-1")
    clock.advance(59)
    resolver.resolve("wc-1")
    clock.advance(2)
    resolver.resolve("wc-1")

    assert genesys.requests("wrapupcode") == 2


def test_the_resolver_prefers_overrides_and_keeps_system_codes_without_calls(genesys: GenesysSandbox) -> None:
    resolver = WrapupCodeResolver(
        make_client(genesys), overrides={"wc-1": "Sorted", "ININ-WRAP-UP-TIMEOUT": "Timed out"}
    )

    assert resolver.resolve("wc-1") == "Sorted"
    assert resolver.resolve("ININ-WRAP-UP-TIMEOUT") == "Timed out"
    assert resolver.resolve("ININ-OUTBOUND-TRANSFERRED-TO-QUEUE") == "ININ-OUTBOUND-TRANSFERRED-TO-QUEUE"
    assert genesys.state()["requests"] == {}


def test_the_resolver_falls_back_to_the_id_for_an_unknown_code_and_caches_that(genesys: GenesysSandbox) -> None:
    resolver = WrapupCodeResolver(make_client(genesys))

    assert resolver.resolve("deleted-code") == "deleted-code"
    assert resolver.resolve("deleted-code") == "deleted-code"
    assert genesys.requests("wrapupcode") == 1


def test_the_resolver_does_not_cache_a_throttled_lookup(genesys: GenesysSandbox) -> None:
    resolver = WrapupCodeResolver(make_client(genesys))
    genesys.configure(throttle_ratio=1.0)
    with pytest.raises(UpstreamFailure):
        resolver.resolve("wc-1")

    genesys.configure(throttle_ratio=0.0)
    assert resolver.resolve("wc-1") == "Resolved"


def test_the_ttl_cache_drops_its_oldest_entry_when_full(clock: FakeClock) -> None:
    cache = TtlCache(ttl_s=60, max_entries=2, clock=clock)
    cache.put("a", "A")
    cache.put("b", "B")
    cache.put("c", "C")

    assert [cache.get("a"), cache.get("b"), cache.get("c")] == [None, "B", "C"]


@pytest.mark.parametrize(
    ("region", "domain"),
    [
        ("us_east_1", "mypurecloud.com"),
        ("eu-west-1", "mypurecloud.ie"),
        ("US_WEST_2", "usw2.pure.cloud"),
        ("mypurecloud.de", "mypurecloud.de"),
        ("api.mypurecloud.com.au", "mypurecloud.com.au"),
        ("login.apne2.pure.cloud", "apne2.pure.cloud"),
    ],
)
def test_region_domain(region: str, domain: str) -> None:
    assert region_domain(region) == domain


def test_an_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown Genesys Cloud region"):
        region_domain("mars_north_1")


def test_get_customer_reads_the_customer_participants_number_and_external_contact(genesys: GenesysSandbox) -> None:
    genesys.customer_numbers["conv-1"] = "tel:+15550100001"
    genesys.external_contacts["conv-2"] = "ext-7"
    client = make_client(genesys)

    assert client.get_customer("conv-1") == CustomerIdentity("tel:+15550100001", None)
    assert client.get_customer("conv-2") == CustomerIdentity(None, "ext-7")
    assert client.get_customer("conv-unknown") is None


def test_get_customer_when_genesys_throttles_is_an_upstream_failure(genesys: GenesysSandbox) -> None:
    genesys.customer_numbers["conv-1"] = "tel:+15550100001"
    genesys.configure(throttle_ratio=1.0)

    with pytest.raises(UpstreamFailure) as failure:
        make_client(genesys).get_customer("conv-1")

    assert failure.value.status is WriteStatus.THROTTLED
