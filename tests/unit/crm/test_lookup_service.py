"""LookupService with in-memory ports: the cache first, the breaker shared with the writers, the deadline kept."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.crm.breaker import BreakerPolicy, BreakerState
from cxbridge.crm.lookup import (
    LookupKind,
    LookupQuery,
    LookupResult,
    LookupStatus,
    LookupUnsupported,
    cache_key,
    from_matches,
    normalise_phone,
)
from cxbridge.crm.lookup_service import LookupService
from tests.fakes.crm import InMemoryBreakerStore, InMemoryLookupCache

PHONE = LookupQuery(LookupKind.PHONE, "+4930123456")
FOUND = LookupResult(LookupStatus.FOUND, "003A", {"name": "Ada"})


class ScriptedDirectory:
    """Answers from a script (the last answer repeats): a result, or an exception to raise."""

    def __init__(self, *answers: LookupResult | Exception) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.timeouts: list[float] = []

    def find(self, query: LookupQuery, timeout_s: float) -> LookupResult:
        self.calls += 1
        self.timeouts.append(timeout_s)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


class HangingDirectory:
    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def find(self, query: LookupQuery, timeout_s: float) -> LookupResult:
        self.calls += 1
        self.release.wait(10)
        return FOUND


def service(
    directory: object, cache: InMemoryLookupCache | None = None, breaker: InMemoryBreakerStore | None = None
) -> LookupService:
    return LookupService(
        lambda: directory,  # type: ignore[arg-type,return-value]
        cache or InMemoryLookupCache(),
        breaker or InMemoryBreakerStore(),
        breaker_policy=BreakerPolicy(threshold=2, cooldown_s=60),
        sleep=lambda _: None,
    )


def test_an_answer_is_cached_so_the_crm_is_asked_once_per_value() -> None:
    directory = ScriptedDirectory(FOUND)
    lookups = service(directory)

    answers = [lookups.lookup(PHONE, 3.0) for _ in range(3)]

    assert answers == [FOUND] * 3
    assert directory.calls == 1
    assert lookups.crm_requests == 1


def test_not_found_and_ambiguous_are_answers_and_cached() -> None:
    cache = InMemoryLookupCache()
    lookups = service(ScriptedDirectory(from_matches([])), cache)

    assert lookups.lookup(PHONE, 3.0).status is LookupStatus.NOT_FOUND
    assert from_matches([("a", {}), ("b", {})]).status is LookupStatus.AMBIGUOUS
    assert cache.puts == 1


def test_a_transient_failure_is_retried_within_the_deadline_and_counted_by_the_breaker() -> None:
    breaker = InMemoryBreakerStore()
    directory = ScriptedDirectory(UpstreamFailure(WriteStatus.TRANSIENT, "http:500"), FOUND)

    assert service(directory, breaker=breaker).lookup(PHONE, 3.0) == FOUND
    assert directory.calls == 2
    assert breaker.state == BreakerState()  # the success closed it again
    assert all(t <= 3.0 for t in directory.timeouts)


def test_throttling_falls_back_at_once_and_is_not_cached() -> None:
    cache = InMemoryLookupCache()
    directory = ScriptedDirectory(UpstreamFailure(WriteStatus.THROTTLED, "REQUEST_LIMIT_EXCEEDED"))

    answer = service(directory, cache).lookup(PHONE, 3.0)

    assert (answer.status, answer.reason) == (LookupStatus.FALLBACK, "throttled")
    assert directory.calls == 1
    assert cache.puts == 0


def test_an_open_breaker_falls_back_without_asking_the_crm() -> None:
    breaker = InMemoryBreakerStore()
    breaker.state = BreakerState(5, time.time() + 60)
    directory = ScriptedDirectory(FOUND)

    answer = service(directory, breaker=breaker).lookup(PHONE, 3.0)

    assert (answer.status, answer.reason) == (LookupStatus.FALLBACK, "breaker-open")
    assert directory.calls == 0


def test_failures_open_the_shared_breaker_and_the_lookup_stops_retrying() -> None:
    breaker = InMemoryBreakerStore()
    directory = ScriptedDirectory(UpstreamFailure(WriteStatus.TRANSIENT, "timeout"))

    answer = service(directory, breaker=breaker).lookup(PHONE, 3.0)

    assert answer.status is LookupStatus.FALLBACK
    assert directory.calls == 2  # the threshold
    assert breaker.state.is_open(time.time())


def test_a_hanging_crm_gets_a_fallback_at_the_deadline() -> None:
    directory = HangingDirectory()
    lookups = service(directory)
    try:
        answer = lookups.lookup(PHONE, 0.3)
    finally:
        directory.release.set()

    assert (answer.status, answer.reason) == (LookupStatus.FALLBACK, "deadline")


@pytest.mark.parametrize(
    "failure", [LookupUnsupported(LookupKind.PHONE), UpstreamFailure(WriteStatus.PERMANENT, "INVALID_FIELD")]
)
def test_a_configuration_problem_falls_back_without_touching_the_breaker(failure: Exception) -> None:
    breaker = InMemoryBreakerStore()

    answer = service(ScriptedDirectory(failure), breaker=breaker).lookup(PHONE, 3.0)

    assert answer.status is LookupStatus.FALLBACK
    assert breaker.state == BreakerState()


def test_without_a_directory_every_answer_is_a_fallback() -> None:
    assert service(None).lookup(PHONE, 3.0).reason == "no-directory"


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("+49 30 123456", "+4930123456"),
        ("tel:+1-555-010-9999", "+15550109999"),
        ("0049 (30) 123.456", "+4930123456"),
        ("030 123456", None),
        ("+0123456789", None),
        ("+1 555", None),
        ("call me", None),
    ],
)
def test_phone_numbers_are_normalised_to_e164_or_refused(text: str, e164: str | None) -> None:
    assert normalise_phone(text) == e164


def test_the_cache_key_is_salted_and_never_contains_the_value() -> None:
    key = cache_key(b"s" * 32, PHONE)

    assert PHONE.value.lstrip("+") not in key
    assert key != cache_key(b"t" * 32, PHONE)
    assert key != cache_key(b"s" * 32, LookupQuery(LookupKind.ACCOUNT_NUMBER, PHONE.value))
    assert PHONE.value not in repr(PHONE)


def test_concurrent_lookups_of_one_customer_share_one_crm_request() -> None:
    directory = HangingDirectory()
    lookups = service(directory)
    with ThreadPoolExecutor(max_workers=3) as callers:
        answers = [callers.submit(lookups.lookup, PHONE, 5.0) for _ in range(3)]
        time.sleep(0.2)  # all three are waiting on the hung request
        directory.release.set()

    assert [a.result() for a in answers] == [FOUND] * 3
    assert directory.calls == 1
