"""The CRM-sync service: per-message decisions, backoff, breaker, and nothing lost under any interleaving."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.record import CallRecord, SyncStatus, merge
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.crm.breaker import BreakerPolicy, BreakerState
from cxbridge.crm.job import CrmJob
from cxbridge.crm.outcome import CrmOutcome, CrmWriteResult, no_deadline, not_sent
from cxbridge.crm.sync import Action, CrmSyncService, Decision, RetryPolicy, SyncItem
from tests.fakes.crm import InMemoryBreakerStore, InMemorySyncStatusStore

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def record(cid: str, code: str | None = "w-1", version: int = 1) -> CallRecord:
    event = CallEvent(EventKind.ACW, cid, "agent", 1_700_000_000_000, wrapup_code_id=code, acw_ms=61_000)
    return replace(merge(None, event).record, version=version)


def item(cid: str, message_id: str | None = None, receives: int = 1) -> SyncItem:
    return SyncItem(message_id or f"m-{cid}", CrmJob(conversationId=cid, recordVersion=1), receives)


class Names:
    def __init__(self) -> None:
        self.calls = 0

    def resolve(self, code_id: str) -> str:
        self.calls += 1
        return f"name-of-{code_id}"


@dataclass
class ScriptedCrm:
    """A CRM that answers each record by a rule and keeps one row per key (an upsert store)."""

    answer: dict[str, WriteStatus] = field(default_factory=dict)
    max_batch: int = 200
    rows: dict[str, CrmOutcome] = field(default_factory=dict)
    requests: int = 0

    def write(
        self, outcomes: Sequence[CrmOutcome], may_send: Callable[[], bool] = no_deadline, /
    ) -> list[CrmWriteResult]:
        self.requests += 1
        results = []
        for o in outcomes:
            status = self.answer.get(o.conversation_id, WriteStatus.WRITTEN)
            if status is WriteStatus.WRITTEN:
                self.rows[o.conversation_id] = o
            results.append(
                CrmWriteResult(o.conversation_id, status, retry_after_s=7 if status == "throttled" else None)
            )
        return results


def service(
    crm: ScriptedCrm, store: InMemorySyncStatusStore, breaker: InMemoryBreakerStore | None = None, now: float = 1000.0
) -> CrmSyncService:
    return CrmSyncService(
        crm,
        store,
        Names(),
        breaker or InMemoryBreakerStore(),
        breaker_policy=BreakerPolicy(threshold=3, cooldown_s=60),
        retry=RetryPolicy(base_s=2, cap_s=300, max_receives=4),
        rand=lambda: 0.5,
        clock=lambda: now,
    )


def test_a_batch_is_written_in_one_request_with_resolved_names_and_marked_synced() -> None:
    store = InMemorySyncStatusStore([record(f"c{i}") for i in range(150)])
    crm = ScriptedCrm()
    decisions = service(crm, store).sync([item(f"c{i}") for i in range(150)])
    assert {d.action for d in decisions.values()} == {Action.DONE}
    assert crm.requests == 1
    assert crm.rows["c7"].disposition == "name-of-w-1"
    assert crm.rows["c7"].acw_s == 61
    assert store.records["c7"].sync_status is SyncStatus.SYNCED


def test_copies_of_a_job_in_one_batch_cost_one_write() -> None:
    store = InMemorySyncStatusStore([record("c1")])
    crm = ScriptedCrm()
    decisions = service(crm, store).sync([item("c1", "a"), item("c1", "b")])
    assert decisions["a"].action is decisions["b"].action is Action.DONE
    assert crm.requests == 1


def test_an_already_synced_call_is_not_written_again() -> None:
    store = InMemorySyncStatusStore([replace(record("c1"), sync_status=SyncStatus.SYNCED)])
    crm = ScriptedCrm()
    assert service(crm, store).sync([item("c1")])["m-c1"].action is Action.DONE
    assert crm.requests == 0


def test_throttled_records_come_back_after_at_least_retry_after_others_are_done() -> None:
    store = InMemorySyncStatusStore([record("ok"), record("slow")])
    crm = ScriptedCrm(answer={"slow": WriteStatus.THROTTLED})
    decisions = service(crm, store).sync([item("ok"), item("slow")])
    assert decisions["m-ok"].action is Action.DONE
    assert decisions["m-slow"].action is Action.RETRY
    assert decisions["m-slow"].delay_s >= 7
    assert store.records["slow"].sync_status is SyncStatus.PENDING


def test_permanent_rejection_goes_straight_to_the_dead_letter_queue_with_the_reason() -> None:
    store = InMemorySyncStatusStore([record("bad")])
    crm = ScriptedCrm(answer={"bad": WriteStatus.PERMANENT})
    decision = service(crm, store).sync([item("bad")])["m-bad"]
    assert (decision.action, decision.reason) == (Action.DEAD_LETTER, "permanent")
    assert store.records["bad"].sync_status is SyncStatus.FAILED


def test_retryable_failure_on_the_last_receive_is_dead_lettered_with_its_reason() -> None:
    store = InMemorySyncStatusStore([record("c1")])
    crm = ScriptedCrm(answer={"c1": WriteStatus.TRANSIENT})
    decision = service(crm, store).sync([item("c1", receives=4)])["m-c1"]
    assert decision.action is Action.DEAD_LETTER
    assert decision.reason == "retries-exhausted:transient"


def test_a_missing_call_record_is_dead_lettered_not_dropped() -> None:
    decision = service(ScriptedCrm(), InMemorySyncStatusStore()).sync([item("gone")])["m-gone"]
    assert (decision.action, decision.reason) == (Action.DEAD_LETTER, "call-record-missing")


def test_a_record_that_changed_while_being_written_is_written_again() -> None:
    store = InMemorySyncStatusStore([record("c1")])

    class Racing(ScriptedCrm):
        def write(
            self, outcomes: Sequence[CrmOutcome], may_send: Callable[[], bool] = no_deadline, /
        ) -> list[CrmWriteResult]:
            store.records["c1"] = replace(store.records["c1"], version=9)  # an event lands meanwhile
            return super().write(outcomes)

    decision = service(Racing(), store).sync([item("c1")])["m-c1"]
    assert (decision.action, decision.reason) == (Action.RETRY, "record-changed")


def test_an_older_write_landing_after_a_newer_one_was_marked_reopens_the_record() -> None:
    """Two workers: the newer version is written and marked synced while the older write is in flight."""
    store = InMemorySyncStatusStore([record("c1", code="w-old")])
    newer = replace(record("c1", code="w-new", version=2), sync_status=SyncStatus.SYNCED)

    class Overtaken(ScriptedCrm):
        def write(
            self, outcomes: Sequence[CrmOutcome], may_send: Callable[[], bool] = no_deadline, /
        ) -> list[CrmWriteResult]:
            if not self.requests:
                store.records["c1"] = newer  # the other worker wrote w-new and marked it meanwhile
            return super().write(outcomes)  # then our w-old lands in the CRM

    crm = Overtaken()
    decision = service(crm, store).sync([item("c1")])["m-c1"]
    assert decision.action is Action.RETRY
    assert store.records["c1"].sync_status is SyncStatus.PENDING  # not "synced" over a CRM holding w-old
    again = service(crm, store).sync([item("c1", receives=2)])["m-c1"]
    assert again.action is Action.DONE
    assert crm.rows["c1"].wrapup_code_id == "w-new"


def test_a_run_of_failures_opens_the_breaker_and_later_batches_are_delayed_without_calls() -> None:
    store = InMemorySyncStatusStore([record(f"c{i}") for i in range(3)])
    crm = ScriptedCrm(answer={f"c{i}": WriteStatus.TRANSIENT for i in range(3)}, max_batch=1)  # 3 requests
    breaker = InMemoryBreakerStore()
    service(crm, store, breaker).sync([item(f"c{i}") for i in range(3)])
    assert breaker.state.is_open(1000.0)
    requests = crm.requests
    decisions = service(crm, store, breaker, now=1010.0).sync([item("c0", receives=2)])
    assert crm.requests == requests
    assert decisions["m-c0"].action is Action.RETRY
    assert decisions["m-c0"].delay_s >= 50  # the breaker's remaining cool-down


def test_one_throttled_request_for_many_records_counts_once_toward_the_breaker() -> None:
    store = InMemorySyncStatusStore([record(f"c{i}") for i in range(50)])
    crm = ScriptedCrm(answer={f"c{i}": WriteStatus.THROTTLED for i in range(50)})
    breaker = InMemoryBreakerStore()
    service(crm, store, breaker).sync([item(f"c{i}") for i in range(50)])
    assert breaker.state == BreakerState(failures=1)


def test_the_first_throttled_request_stops_the_batch_and_the_rest_waits_at_least_as_long() -> None:
    store = InMemorySyncStatusStore([record(f"c{i}") for i in range(4)])
    crm = ScriptedCrm(answer={"c0": WriteStatus.THROTTLED}, max_batch=1)
    decisions = service(crm, store).sync([item(f"c{i}") for i in range(4)])
    assert crm.requests == 1
    assert all(d.action is Action.RETRY and d.throttled and d.delay_s >= 7 for d in decisions.values())
    assert not crm.rows


def test_failures_within_a_batch_open_the_breaker_at_once_and_stop_the_batch() -> None:
    store = InMemorySyncStatusStore([record(f"c{i}") for i in range(6)])
    crm = ScriptedCrm(answer={f"c{i}": WriteStatus.TRANSIENT for i in range(6)}, max_batch=1)
    breaker = InMemoryBreakerStore()
    decisions = service(crm, store, breaker).sync([item(f"c{i}") for i in range(6)])
    assert crm.requests == 3  # the threshold
    assert breaker.state.is_open(1000.0)
    assert [decisions[f"m-c{i}"].reason for i in range(3, 6)] == ["breaker-open"] * 3
    assert all(decisions[f"m-c{i}"].delay_s >= 60 for i in range(3, 6))


def test_a_request_with_a_failed_record_does_not_close_the_breaker_for_another_that_got_through() -> None:
    store = InMemorySyncStatusStore([record("ok"), record("down")])
    breaker = InMemoryBreakerStore()
    breaker.state = BreakerState(failures=1)
    service(ScriptedCrm(answer={"down": WriteStatus.TRANSIENT}), store, breaker).sync([item("ok"), item("down")])
    assert breaker.state == BreakerState(failures=2)


def test_records_a_sink_left_unsent_for_time_go_back_at_once_and_count_for_nothing() -> None:
    class Slow(ScriptedCrm):
        def write(
            self, outcomes: Sequence[CrmOutcome], may_send: Callable[[], bool] = no_deadline, /
        ) -> list[CrmWriteResult]:
            written = super().write(outcomes[:1])
            return written + [not_sent(o.conversation_id) for o in outcomes[1:]]

    store = InMemorySyncStatusStore([record("c0"), record("c1")])
    breaker = InMemoryBreakerStore()
    decisions = service(Slow(), store, breaker).sync([item("c0"), item("c1")])
    assert decisions["m-c1"] == Decision(Action.RETRY, reason="time-budget")
    assert store.records["c1"].sync_status is SyncStatus.PENDING
    assert breaker.state == BreakerState()


def test_a_success_after_the_cool_down_closes_the_breaker() -> None:
    store = InMemorySyncStatusStore([record("c1")])
    breaker = InMemoryBreakerStore()
    breaker.state = BreakerState(failures=3, open_until=1000.0)
    service(ScriptedCrm(), store, breaker, now=1001.0).sync([item("c1")])
    assert breaker.state == BreakerState()


def test_genesys_unavailable_for_names_retries_the_record() -> None:
    class Down:
        def resolve(self, code_id: str) -> str:
            raise UpstreamFailure(WriteStatus.THROTTLED, "429", 30.0)

    svc = CrmSyncService(ScriptedCrm(), InMemorySyncStatusStore([record("c1")]), Down(), InMemoryBreakerStore())
    decision = svc.sync([item("c1")])["m-c1"]
    assert decision.action is Action.RETRY
    assert decision.delay_s >= 30


# ---- property: nothing lost, nothing duplicated, under any interleaving -------------------------------


@dataclass
class Message:
    message_id: str
    conversation_id: str
    receive_count: int = 0
    visible_at: float = 0.0


class FlakyCrm:
    """Each request draws, per record: written, throttled, timed out (maybe after committing), or rejected."""

    max_batch = 200

    def __init__(self, rnd: random.Random, bad: set[str], flaky: float) -> None:
        self.rnd, self.bad, self.flaky = rnd, bad, flaky
        self.rows: dict[str, int] = {}  # key -> number of rows with that key (an upsert keeps it at 1)
        self.whole_request_failures = 0

    def write(
        self, outcomes: Sequence[CrmOutcome], may_send: Callable[[], bool] = no_deadline, /
    ) -> list[CrmWriteResult]:
        if self.rnd.random() < self.flaky / 4:
            self.whole_request_failures += 1
            raise UpstreamFailure(WriteStatus.TRANSIENT, "timeout")
        results = []
        for o in outcomes:
            roll = self.rnd.random()
            if o.conversation_id in self.bad:
                results.append(CrmWriteResult(o.conversation_id, WriteStatus.PERMANENT, reason="INVALID_FIELD"))
            elif roll < self.flaky / 2:
                results.append(CrmWriteResult(o.conversation_id, WriteStatus.THROTTLED, retry_after_s=3))
            elif roll < self.flaky:
                if self.rnd.random() < 0.5:  # the CRM committed but the answer was lost
                    self.rows[o.conversation_id] = 1
                results.append(CrmWriteResult(o.conversation_id, WriteStatus.TRANSIENT, reason="timeout"))
            else:
                self.rows[o.conversation_id] = 1
                results.append(CrmWriteResult(o.conversation_id, WriteStatus.WRITTEN))
        return results


@settings(max_examples=60, deadline=None)
@given(
    conversations=st.integers(min_value=1, max_value=40),
    copies=st.lists(st.integers(min_value=1, max_value=3), min_size=40, max_size=40),
    bad_every=st.integers(min_value=0, max_value=7),
    flaky=st.floats(min_value=0.0, max_value=0.9),
    seed=st.integers(min_value=0, max_value=10_000),
    batch=st.integers(min_value=1, max_value=25),
)
def test_every_conversation_ends_in_the_crm_once_or_in_the_dlq_with_a_reason(
    *, conversations: int, copies: list[int], bad_every: int, flaky: float, seed: int, batch: int
) -> None:
    rnd = random.Random(seed)
    cids = [f"c{i}" for i in range(conversations)]
    bad = {cid for i, cid in enumerate(cids) if bad_every and i % bad_every == 0}
    store = InMemorySyncStatusStore([record(cid) for cid in cids])
    crm = FlakyCrm(rnd, bad, flaky)
    breaker = InMemoryBreakerStore()
    clock = [0.0]
    svc = CrmSyncService(
        crm,
        store,
        Names(),
        breaker,
        breaker_policy=BreakerPolicy(threshold=5, cooldown_s=30),
        retry=RetryPolicy(base_s=1, cap_s=60, max_receives=6),
        rand=rnd.random,
        clock=lambda: clock[0],
    )
    queue = [Message(f"{cid}#{k}", cid) for cid in cids for k in range(copies[int(cid[1:])])]
    rnd.shuffle(queue)
    dlq: dict[str, str] = {}
    for _ in range(10_000):
        if not queue:
            break
        visible = [m for m in queue if m.visible_at <= clock[0]][:batch]
        if not visible:
            clock[0] = min(m.visible_at for m in queue)
            continue
        for m in visible:
            m.receive_count += 1
        decisions = svc.sync([item(m.conversation_id, m.message_id, m.receive_count) for m in visible])
        assert set(decisions) == {m.message_id for m in visible}
        for m in visible:
            d = decisions[m.message_id]
            if d.action is Action.RETRY:
                m.visible_at = clock[0] + d.delay_s
                continue
            queue.remove(m)
            if d.action is Action.DEAD_LETTER:
                assert d.reason
                dlq[m.message_id] = d.reason
        clock[0] += 0.1
    assert not queue, "the simulation did not drain"
    dead = {mid.split("#")[0] for mid in dlq}
    for cid in cids:
        status = store.records[cid].sync_status
        assert cid in crm.rows or cid in dead, f"{cid} lost"
        assert crm.rows.get(cid, 0) <= 1, f"{cid} duplicated"
        # Settled either way; a copy dead-lettered before another copy got through leaves a stale DLQ entry,
        # which a redrive turns into "nothing to sync".
        assert status in {SyncStatus.SYNCED, SyncStatus.FAILED}
        assert status is not SyncStatus.SYNCED or cid in crm.rows
        assert status is not SyncStatus.FAILED or cid in dead
    assert bad <= dead


class HangingCrm:
    """One record per request (Dataverse, the Control Room); some requests hang until the 5 s timeout."""

    max_batch = 1

    def __init__(self, clock: list[float], store: InMemorySyncStatusStore, hanging: set[str]) -> None:
        self.clock, self.store, self.hanging = clock, store, hanging
        self.rows: dict[str, int] = {}

    def write(
        self, outcomes: Sequence[CrmOutcome], may_send: Callable[[], bool] = no_deadline, /
    ) -> list[CrmWriteResult]:
        (o,) = outcomes
        written_before = [cid for cid, n in self.rows.items() if n]
        assert all(self.store.records[cid].sync_status is SyncStatus.SYNCED for cid in written_before)
        if o.conversation_id in self.hanging:
            self.hanging.discard(o.conversation_id)  # it hangs once, then answers
            self.clock[0] += 5.0
            return [CrmWriteResult(o.conversation_id, WriteStatus.TRANSIENT, reason="timeout")]
        self.clock[0] += 0.25
        self.rows[o.conversation_id] = self.rows.get(o.conversation_id, 0) + 1
        return [CrmWriteResult(o.conversation_id, WriteStatus.WRITTEN)]


def test_a_batch_with_hanging_requests_stops_before_the_function_timeout_and_loses_nothing() -> None:
    """The review's case: 200 records, 7 % of requests hanging for a 5 s timeout, a 60 s function."""
    rnd = random.Random(14)
    cids = [f"c{i:03d}" for i in range(200)]
    store = InMemorySyncStatusStore([record(cid) for cid in cids])
    clock = [0.0]
    crm = HangingCrm(clock, store, set(rnd.sample(cids, 14)))
    svc = CrmSyncService(
        crm,
        store,
        Names(),
        InMemoryBreakerStore(),
        breaker_policy=BreakerPolicy(threshold=10_000, cooldown_s=1),
        retry=RetryPolicy(base_s=0.001, cap_s=0.001, max_receives=10),
        request_timeout_s=5.0,
        clock=lambda: clock[0],
    )
    pending = {cid: 0 for cid in cids}  # message -> receives so far
    invocations, deferred = 0, 0
    while pending and invocations < 10:
        invocations += 1
        start = clock[0]
        for cid in pending:
            pending[cid] += 1

        def remaining_ms(start: float = start) -> int:
            return int((60.0 - (clock[0] - start)) * 1000)

        decisions = svc.sync([item(cid, receives=n) for cid, n in pending.items()], remaining_ms)
        assert clock[0] - start <= 60.0 - 2.0, "the invocation outlived its function timeout"
        pending = {cid: n for cid, n in pending.items() if decisions[f"m-{cid}"].action is Action.RETRY}
        deferred += sum(d.reason == "time-budget" for d in decisions.values())
    assert deferred > 0  # 200 records did not fit one invocation: the rest went back to the queue
    assert not pending
    assert crm.rows == dict.fromkeys(cids, 1)  # every record written once, none replayed
    assert all(store.records[cid].sync_status is SyncStatus.SYNCED for cid in cids)
