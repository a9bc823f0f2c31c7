"""Customer lookups that answer within a deadline: from the cache, else the CRM behind the shared breaker.

The deadline is kept by waiting for the answer no longer than it allows, whatever the CRM, the token
endpoint or the cache do meanwhile: the work runs on a small thread pool and a late answer becomes a
``fallback`` (the late work still ends, its requests being no longer than the deadline, and still fills
the cache for the next caller). Retries happen only while the deadline leaves time for one.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

from cxbridge.core.errors import TransientFailure
from cxbridge.core.observability import logger
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.crm.breaker import BreakerPolicy, after_calls
from cxbridge.crm.lookup import LookupUnsupported, fallback

if TYPE_CHECKING:
    from collections.abc import Callable

    from cxbridge.crm.lookup import LookupQuery, LookupResult
    from cxbridge.crm.ports import BreakerStore, ContactDirectory, LookupCache

# Below this much time left, a CRM request is not started: it could not answer before the deadline.
MIN_ATTEMPT_S = 0.25
RETRY_PAUSE_S = 0.1


class LookupService:
    """Answers ``lookup`` within its deadline: found, notFound, ambiguous, or fallback.

    ``directory`` is called for the CRM's directory on the pool, so that reading its configuration and
    credentials (a cold start) is inside the deadline too; None means no CRM lookups are configured.
    """

    def __init__(
        self,
        directory: Callable[[], ContactDirectory | None],
        cache: LookupCache,
        breaker: BreakerStore,
        *,
        breaker_policy: BreakerPolicy,
        workers: int = 4,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._directory = directory
        self._cache = cache
        self._breaker = breaker
        self._policy = breaker_policy
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lookup")
        self._clock = clock
        self._wall = wall_clock
        self._sleep = sleep
        self.crm_requests = 0  # CRM requests sent since start (bench and tests read it)
        self._inflight: dict[LookupQuery, Future[LookupResult]] = {}
        self._inflight_lock = threading.RLock()  # a done future runs its callback at once, under the lock

    def lookup(self, query: LookupQuery, deadline_s: float) -> LookupResult:
        """The answer for ``query``, or a ``fallback`` once ``deadline_s`` has passed without one."""
        ends_at = self._clock() + deadline_s
        future = self._shared(query, ends_at)
        try:
            return future.result(timeout=max(0.0, ends_at - self._clock()))
        except FutureTimeout:
            return fallback("deadline")
        except Exception:  # noqa: BLE001 - a bug or a broken configuration still answers: the flow falls back
            logger.exception("lookup failed", extra={"kind": query.kind.value})
            return fallback("error")

    def _shared(self, query: LookupQuery, ends_at: float) -> Future[LookupResult]:
        """The lookup of ``query`` under way, or a new one: concurrent calls of one customer (a batch holds
        several of their calls) wait for one CRM request instead of each sending its own."""
        with self._inflight_lock:
            future = self._inflight.get(query)
            if future is None:
                future = self._inflight[query] = self._pool.submit(self._answer, query, ends_at)
                future.add_done_callback(lambda _: self._forget(query))
            return future

    def _forget(self, query: LookupQuery) -> None:
        with self._inflight_lock:
            self._inflight.pop(query, None)

    def _answer(self, query: LookupQuery, ends_at: float) -> LookupResult:
        try:
            cached = self._cache.get(query)
        except TransientFailure:
            cached = None  # the cache is a shortcut; without it the CRM still answers
        if cached is not None:
            return cached
        directory = self._directory()
        if directory is None:
            return fallback("no-directory")
        try:
            if self._breaker.load().is_open(self._wall()):
                return fallback("breaker-open")
        except TransientFailure:
            return fallback("breaker-unreadable")
        result = self._from_crm(directory, query, ends_at)
        if result.cacheable:
            try:
                self._cache.put(query, result)
            except TransientFailure:
                logger.warning("lookup not cached", extra={"kind": query.kind.value})
        return result

    def _from_crm(self, directory: ContactDirectory, query: LookupQuery, ends_at: float) -> LookupResult:
        reason = "deadline"
        while (left := ends_at - self._clock()) >= MIN_ATTEMPT_S:
            self.crm_requests += 1
            try:
                result = directory.find(query, timeout_s=left)
            except LookupUnsupported:
                logger.warning("lookup kind not configured", extra={"kind": query.kind.value})
                return fallback("unsupported")
            except UpstreamFailure as failure:
                logger.warning("crm lookup failed", extra={"kind": query.kind.value, "reason": failure.reason})
                if failure.status is WriteStatus.PERMANENT:
                    return fallback("rejected")  # a configuration problem; the CRM itself is well
                self._count(successes=0, failures=1)
                if failure.status is WriteStatus.THROTTLED or self._open():
                    return fallback(failure.status.value)  # a throttle is not lifted by hammering
                reason = failure.status.value
                self._sleep(min(RETRY_PAUSE_S, max(0.0, ends_at - self._clock())))
                continue
            self._count(successes=1, failures=0)
            return result
        return fallback(reason)

    def _count(self, *, successes: int, failures: int) -> None:
        now, policy = self._wall(), self._policy
        try:
            self._breaker.update(lambda s: after_calls(s, policy, successes=successes, failures=failures, now=now))
        except TransientFailure:
            logger.warning("breaker not updated")

    def _open(self) -> bool:
        try:
            return self._breaker.load().is_open(self._wall())
        except TransientFailure:
            return True
