"""TokenCache: one login for many callers, renewal before expiry, invalidation after a 401."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from cxbridge.core.oauth import AccessToken, TokenCache
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.genesys.oauth import GenesysTokenSource
from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET
from local.sandboxes.genesys import GenesysSandbox

if TYPE_CHECKING:
    from tests.unit.adapters.support import FakeClock


def make_cache(server: GenesysSandbox, clock: FakeClock, secret: str = SANDBOX_SECRET) -> TokenCache:
    return TokenCache(GenesysTokenSource(server.url, SANDBOX_CLIENT_ID, secret), renew_margin_s=60, clock=clock)


def test_the_token_is_cached_and_renewed_a_margin_before_expiry(clock: FakeClock) -> None:
    with GenesysSandbox(token_lifetime_s=600) as server:
        cache = make_cache(server, clock)
        first = cache.get()
        clock.advance(539)
        assert cache.get() is first
        clock.advance(1)
        renewed = cache.get()

        assert renewed is not first
        assert server.requests("token") == 2
        assert renewed.headers() == {"Authorization": f"bearer {renewed.value}"}


def test_a_short_token_is_renewed_at_half_its_life_at_the_earliest(clock: FakeClock) -> None:
    with GenesysSandbox(token_lifetime_s=100) as server:
        cache = make_cache(server, clock)
        first = cache.get()
        clock.advance(49)
        assert cache.get() is first
        clock.advance(1)
        assert cache.get() is not first


def test_concurrent_callers_cause_one_login(genesys: GenesysSandbox, clock: FakeClock) -> None:
    cache = make_cache(genesys, clock)
    start = threading.Barrier(8)
    tokens: list[AccessToken] = []

    def get() -> None:
        start.wait()
        tokens.append(cache.get())

    threads = [threading.Thread(target=get) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert genesys.requests("token") == 1
    assert len({id(token) for token in tokens}) == 1


def test_invalidating_a_stale_token_keeps_a_newer_one(genesys: GenesysSandbox, clock: FakeClock) -> None:
    cache = make_cache(genesys, clock)
    stale = cache.get()
    cache.invalidate(stale)
    fresh = cache.get()
    cache.invalidate(stale)  # a slower caller reporting the same 401

    assert cache.get() is fresh
    assert genesys.requests("token") == 2


def test_a_refused_login_is_transient_with_the_oauth_error(genesys: GenesysSandbox, clock: FakeClock) -> None:
    with pytest.raises(UpstreamFailure) as caught:
        make_cache(genesys, clock, secret="wrong").get()

    assert (caught.value.status, caught.value.reason) == (WriteStatus.TRANSIENT, "token:invalid_client")


def test_the_token_never_shows_in_its_repr() -> None:
    token = AccessToken("s3cr3t-token", 60.0)

    assert "s3cr3t" not in repr(token)
