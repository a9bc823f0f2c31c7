"""The WLM work-queue sink against the Control Room sandbox over HTTP: one request per batch, the ledger
keeps a redelivery from adding a second item, and an add whose answer was lost is looked up in the
queue before anything is added again."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from cxbridge.core.oauth import TokenCache
from cxbridge.core.upstream import WriteStatus
from cxbridge.crm.automation_anywhere_wlm import AutomationAnywhereWorkQueueSink
from cxbridge.crm.oauth import AutomationAnywhereTokenSource
from cxbridge.crm.work_queue import WorkQueueMapping
from local.sandboxes.automation_anywhere import AutomationAnywhereSandbox
from local.sandboxes.base import SANDBOX_SECRET
from tests.fakes.ledger import InMemoryBotDeploymentLedger
from tests.unit.adapters.support import AnotherWorkerDropsFirst, FakeClock, outcome

if TYPE_CHECKING:
    from collections.abc import Iterator

MAPPING = WorkQueueMapping(queue_id=12, work_item={"conversationId": "conversation_id", "outcome": "disposition"})


@pytest.fixture
def room(clock: FakeClock) -> Iterator[AutomationAnywhereSandbox]:
    with AutomationAnywhereSandbox(seed=5, clock=clock) as server:
        yield server


def make_sink(
    room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock, **changes: object
) -> AutomationAnywhereWorkQueueSink:
    tokens = TokenCache(AutomationAnywhereTokenSource(room.url, "svc_api", SANDBOX_SECRET))
    mapping = MAPPING.model_copy(update=changes)
    return AutomationAnywhereWorkQueueSink(mapping, room.url, tokens, ledger, timeout_s=0.5, clock=clock)


def test_one_request_adds_the_batch_in_order_and_records_each_item(
    room: AutomationAnywhereSandbox, clock: FakeClock
) -> None:
    ledger = InMemoryBotDeploymentLedger(clock)
    results = make_sink(room, ledger, clock).write([outcome(n) for n in range(1, 6)])

    items = room.state()["workitems"]
    assert room.requests("wlm_add") == 1
    assert [i["json"]["conversationId"] for i in items] == [f"conv-{n:04d}" for n in range(1, 6)]
    assert [r.status for r in results] == [WriteStatus.SUBMITTED] * 5
    assert [r.crm_id for r in results] == [f"wlm:12:{i['id']}" for i in items]
    entry = ledger.get("conv-0003")
    assert entry is not None
    assert entry.deployment_id == results[2].crm_id


def test_a_redelivery_finds_its_item_and_adds_nothing(room: AutomationAnywhereSandbox, clock: FakeClock) -> None:
    ledger = InMemoryBotDeploymentLedger(clock)
    sink = make_sink(room, ledger, clock)
    first = sink.write([outcome(1), outcome(2)])

    again = sink.write([outcome(1), outcome(2), outcome(3)])

    assert room.requests("wlm_add") == 2  # the second only for conv-0003
    assert [r.crm_id for r in again[:2]] == [r.crm_id for r in first]
    assert len(room.state()["workitems"]) == 3


def test_a_throttled_add_releases_its_claims_and_says_how_long_to_wait(
    room: AutomationAnywhereSandbox, clock: FakeClock
) -> None:
    ledger = InMemoryBotDeploymentLedger(clock)
    room.configure(throttle_ratio=1.0)
    results = make_sink(room, ledger, clock).write([outcome(1), outcome(2)])

    assert {(r.status, r.retry_after_s) for r in results} == {(WriteStatus.THROTTLED, 2.0)}
    assert ledger.get("conv-0001") is None
    assert room.state()["workitems"] == []


def test_an_add_that_timed_out_is_looked_up_then_added_once(room: AutomationAnywhereSandbox, clock: FakeClock) -> None:
    ledger = InMemoryBotDeploymentLedger(clock)
    sink = make_sink(room, ledger, clock)
    room.configure(timeout_ratio=1.0, hang_s=2.0)
    lost = sink.write([outcome(1), outcome(2)])
    assert {r.status for r in lost} == {WriteStatus.TRANSIENT}
    room.configure(timeout_ratio=0.0)

    soon = sink.write([outcome(1)])  # within the in-flight window: not yet looked up
    clock.advance(61)
    later = sink.write([outcome(1), outcome(2)])

    assert soon[0].reason == "workitem-in-flight"
    assert [r.status for r in later] == [WriteStatus.SUBMITTED] * 2
    assert room.requests("wlm_list") == 1
    assert len(room.state()["workitems"]) == 2


def test_an_add_whose_answer_was_lost_is_found_in_the_queue_not_added_again(
    room: AutomationAnywhereSandbox, clock: FakeClock
) -> None:
    ledger = InMemoryBotDeploymentLedger(clock)
    make_sink(room, InMemoryBotDeploymentLedger(clock), clock).write([outcome(1)])  # added, answer "lost"
    (item,) = room.state()["workitems"]
    assert ledger.claim("conv-0001", outcome(1).content) is None  # our claim, with no item id
    clock.advance(61)

    (result,) = make_sink(room, ledger, clock).write([outcome(1)])

    assert (result.status, result.crm_id) == (WriteStatus.SUBMITTED, f"wlm:12:{item['id']}")
    assert len(room.state()["workitems"]) == 1


def test_without_a_conversation_attribute_an_ambiguous_add_is_never_guessed(
    room: AutomationAnywhereSandbox, clock: FakeClock
) -> None:
    ledger = InMemoryBotDeploymentLedger(clock)
    sink = make_sink(room, ledger, clock, work_item={"outcome": "disposition"})
    assert ledger.claim("conv-0001", outcome(1).content) is None
    clock.advance(61)

    (result,) = sink.write([outcome(1)])

    assert (result.status, result.reason) == (WriteStatus.TRANSIENT, "ambiguous-workitem")
    assert room.state()["workitems"] == []


def test_statuses_come_from_one_listing_of_the_queue(room: AutomationAnywhereSandbox, clock: FakeClock) -> None:
    ledger = InMemoryBotDeploymentLedger(clock)
    sink = make_sink(room, ledger, clock)
    refs = [r.crm_id for r in sink.write([outcome(1), outcome(2), outcome(3)])]
    room.end_workitem(12, refs[1].rsplit(":", 1)[1], "FAILED", "crm.locked")  # type: ignore[union-attr]
    before = room.requests("wlm_list")

    statuses = sink.statuses([r for r in refs if r] + ["wlm:99:1", "d-1"])

    assert room.requests("wlm_list") == before + 1
    assert statuses == {refs[0]: ("NEW", ""), refs[1]: ("FAILED", "crm.locked"), refs[2]: ("NEW", "")}
    assert sink.run_status(refs[1] or "") == "FAILED"


@pytest.mark.parametrize(("ended", "added"), [("COMPLETED", 2), ("FAILED", 2), ("DEFERRED", 1)])
def test_a_new_version_waits_for_the_older_item_then_asks_the_queue_whether_it_ended(
    room: AutomationAnywhereSandbox, clock: FakeClock, ended: str, added: int
) -> None:
    ledger = InMemoryBotDeploymentLedger(clock)
    sink = make_sink(room, ledger, clock)
    (old,) = sink.write([outcome(1, content="v1")])
    room.end_workitem(12, (old.crm_id or "").rsplit(":", 1)[1], ended, "x")  # its callback never arrives
    newer = outcome(1, disposition="Escalated", content="v2")

    (soon,) = sink.write([newer])
    clock.advance(61)
    (later,) = sink.write([newer])

    assert soon.reason == "previous-workitem-in-flight"
    assert room.requests("wlm_list") == 1
    assert len(room.state()["workitems"]) == added
    if added == 2:
        assert later.status is WriteStatus.SUBMITTED
        assert room.state()["workitems"][-1]["json"]["outcome"] == "Escalated"
        entry = ledger.get("conv-0001")
        assert entry is not None
        assert (entry.content, entry.attempts, entry.failed) == ("v2", 1, False)
    else:
        assert (later.status, later.reason) == (WriteStatus.TRANSIENT, "previous-workitem-unsettled")


def test_the_sandbox_queue_refuses_impossible_bot_ratios_and_oversized_adds(
    room: AutomationAnywhereSandbox, clock: FakeClock
) -> None:
    with pytest.raises(ValueError, match="work item ratios"):
        room.configure(workitem_fail_ratio=0.7, workitem_defer_ratio=0.5)
    ledger = InMemoryBotDeploymentLedger(clock)
    sink = make_sink(room, ledger, clock, batch_size=500)

    results = sink.write([outcome(n) for n in range(501)])  # one more than the fake takes: 400, then halves

    assert room.requests("wlm_add") == 3
    assert {r.status for r in results} == {WriteStatus.SUBMITTED}
    assert len(room.state()["workitems"]) == 501


def test_an_add_refused_for_one_bad_item_is_halved_until_it_stands_alone(
    room: AutomationAnywhereSandbox, clock: FakeClock
) -> None:
    ledger = InMemoryBotDeploymentLedger(clock)
    batch = [outcome(n, disposition="x" * 1001 if n == 5 else "Resolved") for n in range(8)]

    results = make_sink(room, ledger, clock).write(batch)

    assert room.requests("wlm_add") == 7  # 8, then 4 + 4, then 2 + 2, then 1 + 1
    assert (results[5].status, results[5].reason) == (WriteStatus.PERMANENT, "wlm.workitem.value.too.long")
    assert [r.status for i, r in enumerate(results) if i != 5] == [WriteStatus.SUBMITTED] * 7
    assert sorted(i["json"]["conversationId"] for i in room.state()["workitems"]) == [
        f"conv-{n:04d}" for n in range(8) if n != 5
    ]
    assert ledger.get("conv-0005") is None  # refused: no item, no claim


def test_the_look_up_of_a_lost_add_keeps_to_the_time_left(room: AutomationAnywhereSandbox, clock: FakeClock) -> None:
    ledger = InMemoryBotDeploymentLedger(clock)
    sink = make_sink(room, ledger, clock)
    assert ledger.claim("conv-0001", outcome(1).content) is None  # an add whose answer was lost
    clock.advance(61)
    answers = iter([True, True, False])  # the write may start, the listing may, then no more time

    (first, fresh) = sink.write([outcome(1), outcome(2)], lambda: next(answers, False))

    assert room.requests("wlm_list") == 1
    assert room.requests("wlm_add") == 0  # not started: the time left could not cover it
    assert (fresh.status, fresh.reason) == (WriteStatus.TRANSIENT, "time-budget")
    assert (first.status, first.reason) == (WriteStatus.TRANSIENT, "time-budget")
    assert ledger.get("conv-0002") is None


def test_a_stale_claim_another_worker_replaced_meanwhile_is_not_added_twice(
    room: AutomationAnywhereSandbox, clock: FakeClock
) -> None:
    ledger = AnotherWorkerDropsFirst(clock)
    sink = make_sink(room, ledger, clock)
    assert ledger.claim("conv-0001", outcome(1).content) is None  # its worker crashed before the add
    clock.advance(61)  # past the in-flight window, and no item in the queue: the claim is stale

    result = sink.write([outcome(1)])

    assert result[0].status is WriteStatus.TRANSIENT  # the other worker's fresh claim stands; it adds
    assert len(room.state()["workitems"]) == 0
