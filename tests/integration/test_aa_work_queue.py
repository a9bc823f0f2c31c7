"""Automation Anywhere WLM mode end to end (issue 16): the sync service and the work-queue sink against the
Control Room sandbox over HTTP; the sandbox's bot calls back over HTTP, and the callback service (with
its token check) settles the records; the reconciler settles by listing the queue when a callback is lost."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pytest

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.record import CallRecord, SyncStatus, merge
from cxbridge.core.keys import Keys
from cxbridge.core.oauth import TokenCache
from cxbridge.crm import callback_token
from cxbridge.crm.automation_anywhere_wlm import AutomationAnywhereWorkQueueSink
from cxbridge.crm.bot_callback import BotCallbackService, CallbackRefused
from cxbridge.crm.callback_models import BotRunResult
from cxbridge.crm.job import CrmJob
from cxbridge.crm.oauth import AutomationAnywhereTokenSource
from cxbridge.crm.reconciler import BotPath, Reconciler
from cxbridge.crm.sync import Action, CrmSyncService, RetryPolicy, SyncItem
from cxbridge.crm.work_queue import WorkQueueMapping
from local.sandboxes.automation_anywhere import WORKITEM_FAILURE, AutomationAnywhereSandbox
from local.sandboxes.base import SANDBOX_SECRET
from tests.fakes.crm import InMemoryBreakerStore, InMemoryStrandedRecords
from tests.fakes.ledger import InMemoryBotDeploymentLedger
from tests.unit.adapters.support import CallbackReceiver

if TYPE_CHECKING:
    from collections.abc import Iterator

KEY = b"wlm-callback-key-" * 2
QUEUE = 12
DAY_MS = 1_764_590_000_000  # 2025-12-01


class Names:
    def resolve(self, code_id: str) -> str:
        return f"Disposition {code_id}"


def calls(n: int) -> list[CallRecord]:
    out = []
    for i in range(n):
        event = CallEvent(EventKind.ACW, f"c-{i:04d}", "agent", DAY_MS, user_id="u-1", wrapup_code_id="w-1")
        out.append(replace(merge(None, event).record, version=1))
    return out


@dataclass
class World:
    cr: AutomationAnywhereSandbox
    receiver: CallbackReceiver
    store: InMemoryStrandedRecords
    ledger: InMemoryBotDeploymentLedger
    sink: AutomationAnywhereWorkQueueSink
    service: CrmSyncService
    callback: BotCallbackService
    queue: list[tuple[str, int]] = field(default_factory=list)  # (conversation id, receives)
    dead: dict[str, str] = field(default_factory=dict)
    seen: int = 0  # callbacks already delivered to the service

    def send(self, job: CrmJob) -> None:
        self.queue.append((job.conversationId, 0))

    def delay(self, receipt_handle: str, seconds: float) -> None:
        raise AssertionError("the callback never delays")

    def dead_letter(self, body: str, reason: str, conversation_id: str | None) -> None:
        self.dead[conversation_id or body] = reason

    def drain(self) -> None:
        """Deliver every queued job (batches of 200, as the worker's event source) until none is left."""
        rounds = 0
        while self.queue:
            rounds += 1
            assert rounds < 100, "the queue never drained"
            batch, self.queue = self.queue[:200], self.queue[200:]
            items = [SyncItem(f"m-{cid}-{n}", CrmJob(conversationId=cid, recordVersion=1), n + 1) for cid, n in batch]
            decisions = self.service.sync(items)
            for (cid, n), item in zip(batch, items, strict=True):
                decision = decisions[item.message_id]
                if decision.action is Action.RETRY:
                    self.queue.append((cid, n + 1))
                elif decision.action is Action.DEAD_LETTER:
                    self.dead[cid] = decision.reason or ""

    def bot(self) -> dict[str, int]:
        """The queue's bot takes its items; each callback it made goes through the callback's checks."""
        counts = self.cr.process_workitems()
        for headers, raw in self.receiver.calls[self.seen :]:
            result = BotRunResult.model_validate(json.loads(raw))
            token = headers.get(callback_token.HEADER, "")
            self.callback.settle_callback(result.run_id, result.status, token, result.result)
        self.seen = len(self.receiver.calls)
        return counts

    def items_for(self, cid: str) -> list[dict[str, Any]]:
        return [i for i in self.cr.state()["workitems"] if i["json"]["conversationId"] == cid]


@pytest.fixture
def world() -> Iterator[World]:
    with AutomationAnywhereSandbox(seed=3) as cr:
        receiver = CallbackReceiver()
        cr.workitem_callback_url = receiver.url
        mapping = WorkQueueMapping(
            queue_id=QUEUE,
            work_item={"conversationId": "conversation_id", "disposition": "disposition", "handleSeconds": "handle_s"},
            batch_size=100,
            max_attempts=3,
        )
        ledger = InMemoryBotDeploymentLedger()
        tokens = TokenCache(AutomationAnywhereTokenSource(cr.url, "svc_api", SANDBOX_SECRET))
        sink = AutomationAnywhereWorkQueueSink(mapping, cr.url, tokens, ledger, callback_key=KEY, timeout_s=2)
        store = InMemoryStrandedRecords(calls(250))
        retry = RetryPolicy(base_s=0.001, cap_s=0.001, max_receives=10)
        service = CrmSyncService(sink, store, Names(), InMemoryBreakerStore(), retry=retry)
        w = World(cr, receiver, store, ledger, sink, service, None)  # type: ignore[arg-type]
        w.callback = BotCallbackService(ledger, store, w, w, keys=Keys(KEY))
        w.queue = [(cid, 0) for cid in store.records]
        yield w
        receiver.close()


def test_n_records_take_ceil_n_over_batch_add_requests_and_completion_marks_them_synced(world: World) -> None:
    world.drain()

    assert world.cr.requests("wlm_add") == math.ceil(250 / 100)
    items = world.cr.state()["workitems"]
    assert len(items) == 250
    assert {i["status"] for i in items} == {"NEW"}
    first = items[0]["json"]
    assert set(first) == {"conversationId", "disposition", "cxbCallbackToken"}  # no handle time: left out
    assert {r.sync_status for r in world.store.records.values()} == {SyncStatus.PENDING}

    counts = world.bot()

    assert counts["COMPLETED"] == counts["callbacks"] == 250
    assert {r.sync_status for r in world.store.records.values()} == {SyncStatus.SYNCED}
    assert world.queue == []
    assert world.dead == {}


def test_a_redelivered_job_adds_no_second_work_item(world: World) -> None:
    world.drain()
    before = world.cr.requests("wlm_add")
    world.queue = [(cid, 1) for cid in world.store.records] * 3  # three more copies of every job

    world.drain()

    assert world.cr.requests("wlm_add") == before
    assert len(world.cr.state()["workitems"]) == 250


def test_a_failing_item_is_retried_with_new_items_then_dead_lettered_with_the_bots_reason(world: World) -> None:
    world.cr.configure(workitem_fail_ratio=1.0)
    for _ in range(3):  # max_attempts
        world.drain()
        world.bot()

    world.drain()  # the third failure's job: no attempt left

    reason = f"bot:FAILED:{WORKITEM_FAILURE}"
    assert world.dead == dict.fromkeys(world.store.records, reason)
    assert all(len(world.items_for(cid)) == 3 for cid in ("c-0000", "c-0123", "c-0249"))
    assert len(world.cr.state()["workitems"]) == 3 * 250
    assert {r.sync_status for r in world.store.records.values()} == {SyncStatus.FAILED}


def test_an_item_that_failed_once_then_completed_is_synced(world: World) -> None:
    world.cr.configure(workitem_fail_ratio=1.0)
    world.drain()
    world.bot()
    world.cr.configure(workitem_fail_ratio=0.0)

    world.drain()  # the retried jobs: one new item each
    world.bot()

    assert len(world.items_for("c-0007")) == 2
    assert {r.sync_status for r in world.store.records.values()} == {SyncStatus.SYNCED}
    assert world.dead == {}


def test_a_forged_callback_token_settles_nothing(world: World) -> None:
    world.drain()
    item = world.items_for("c-0001")[0]
    ref = f"wlm:{QUEUE}:{item['id']}"
    wrong = callback_token.sign(KEY, "c-0002")  # another call's token

    with pytest.raises(CallbackRefused):
        world.callback.settle_callback(ref, "COMPLETED", wrong)
    assert world.store.records["c-0001"].sync_status is SyncStatus.PENDING


def test_lost_callbacks_are_settled_by_the_reconciler_listing_the_queue(world: World) -> None:
    world.cr.configure(callback_lost_ratio=1.0, workitem_defer_ratio=0.2)
    world.drain()
    counts = world.bot()
    assert counts["callbacks"] == 0
    deferred = counts["DEFERRED"]
    assert 0 < deferred < 250
    now_s = DAY_MS / 1000 + 10_000
    reconciler = Reconciler(
        world.store, world, worst_case_s=60, bots=BotPath(world.ledger, world.sink, world.callback), clock=lambda: now_s
    )

    report = reconciler.run()

    assert report.stranded == 250
    assert report.settled == 250 - deferred
    synced = [r for r in world.store.records.values() if r.sync_status is SyncStatus.SYNCED]
    assert len(synced) == 250 - deferred
    assert len(world.cr.state()["workitems"]) == 250  # nothing added twice
