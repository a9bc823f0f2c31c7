"""Any interleaving of the review's faults: the CRM ends holding every call's newest disposition, or the
call is in the dead-letter queue with a reason.

The real sync service, Automation Anywhere sink (against the Control Room sandbox over HTTP), bot
callback service and reconciler, on in-memory stores and a queue simulated with a clock. Hypothesis
draws the interleaving: wrap-ups (a second one is a disposition changed after a send), worker runs
(some cut short by their time budget), bot runs completing (some callbacks lost), stream records whose
job is never queued (retries exhausted), reconciler passes and redrives of the dead letters.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.record import merge, needs_crm_job
from cxbridge.core.oauth import TokenCache
from cxbridge.crm.automation_anywhere import AutomationAnywhereMapping, AutomationAnywhereSink
from cxbridge.crm.bot_callback import BotCallbackService
from cxbridge.crm.job import CrmJob
from cxbridge.crm.oauth import AutomationAnywhereTokenSource
from cxbridge.crm.reconciler import BotPath, Reconciler, worst_case_s
from cxbridge.crm.sync import Action, CrmSyncService, RetryPolicy, SyncItem
from local.sandboxes.automation_anywhere import AutomationAnywhereSandbox
from local.sandboxes.base import SANDBOX_SECRET
from tests.fakes.crm import InMemoryBreakerStore, InMemoryStrandedRecords
from tests.fakes.ledger import InMemoryBotDeploymentLedger
from tests.unit.adapters.support import FakeClock

if TYPE_CHECKING:
    from collections.abc import Callable

CALLS = 3
CODES = ("w-sale", "w-billing", "w-tech")
RETRY = RetryPolicy(base_s=1, cap_s=10, max_receives=6)
BOT_RUN_BUDGET_S = 30.0
MAPPING = AutomationAnywhereMapping(
    file_id=87,
    run_as_user_ids=[3],
    bot_input={"sConversationId": "conversation_id", "sWrapupCode": "wrapup_code_id", "sContent": "content"},
)


class Names:
    def resolve(self, code_id: str) -> str:
        return f"name-of-{code_id}"


@dataclass
class Message:
    body: str
    visible_at: float = 0.0
    receives: int = 0


@dataclass
class Queues:
    """The CRM-sync queue and its dead-letter queue, as the services see them."""

    clock: FakeClock
    messages: list[Message] = field(default_factory=list)
    dead: dict[str, str] = field(default_factory=dict)  # conversation -> reason

    def send(self, job: CrmJob) -> None:
        self.messages.append(Message(job.model_dump_json(), self.clock()))

    def delay(self, receipt_handle: str, seconds: float) -> None:
        raise AssertionError("the simulation applies delays itself")

    def dead_letter(self, body: str, reason: str, conversation_id: str | None) -> None:
        assert reason
        self.dead[str(conversation_id)] = reason


@dataclass
class World:
    clock: FakeClock
    room: AutomationAnywhereSandbox
    store: InMemoryStrandedRecords = field(default_factory=InMemoryStrandedRecords)
    crm: dict[str, str] = field(default_factory=dict)  # what the bots wrote: conversation -> wrap-up code
    runs: list[tuple[str, str]] = field(default_factory=list)  # (conversation, content) of completed runs
    lost_streams: set[str] = field(default_factory=set)
    seq: int = 0

    def __post_init__(self) -> None:
        self.ledger = InMemoryBotDeploymentLedger(self.clock)
        self.queues = Queues(self.clock)
        tokens = TokenCache(AutomationAnywhereTokenSource(self.room.url, "svc_api", SANDBOX_SECRET))
        self.sink = AutomationAnywhereSink(
            MAPPING,
            self.room.url,
            tokens,
            self.ledger,
            callback_url="http://127.0.0.1:9/bots/callback",
            callback_key=b"k" * 32,
            timeout_s=2.0,
            clock=self.clock,
        )
        self.service = CrmSyncService(
            self.sink,
            self.store,
            Names(),
            InMemoryBreakerStore(),
            retry=RETRY,
            request_timeout_s=2.0,
            rand=lambda: 0.5,
            clock=self.clock,
        )
        self.callback = BotCallbackService(self.ledger, self.store, self.queues, self.queues)
        self.reconciler = Reconciler(
            self.store,
            self.queues,
            worst_case_s=worst_case_s(RETRY, BOT_RUN_BUDGET_S),
            bots=BotPath(self.ledger, self.sink, self.callback),
            clock=self.clock,
        )

    # ---- the actions ---------------------------------------------------------------------------------

    def wrap_up(self, call: int, code: int) -> None:
        """An ACW event (ingest, then the outbox), unless its stream record's retries ran out."""
        cid = f"c{call}"
        self.seq += 1
        at = int(self.clock() * 1000) + self.seq
        event = CallEvent(EventKind.ACW, cid, "agent", at, user_id="u-1", wrapup_code_id=CODES[code % len(CODES)])
        old = self.store.records.get(cid)
        new = replace(merge(old, event).record, version=(old.version if old else 0) + 1)
        self.store.records[cid] = new
        self.store.touched[cid] = at
        if needs_crm_job(old, new):
            if cid in self.lost_streams:
                self.lost_streams.discard(cid)  # the batch went to the on-failure destination
            else:
                self.queues.send(CrmJob.from_record(new))

    def work(self, short: bool) -> None:
        """One worker invocation over the visible messages; ``short``: its time runs out at once."""
        visible = [m for m in self.queues.messages if m.visible_at <= self.clock()][:10]
        if not visible:
            return
        items = []
        for n, m in enumerate(visible):
            m.receives += 1
            items.append(SyncItem(str(n), CrmJob.model_validate_json(m.body), m.receives))
        remaining: Callable[[], int] = (lambda: 1_000) if short else (lambda: 60_000)
        decisions = self.service.sync(items, remaining)
        for n, m in enumerate(visible):
            decision = decisions[str(n)]
            if decision.action is Action.RETRY:
                m.visible_at = self.clock() + decision.delay_s
                continue
            self.queues.messages.remove(m)
            if decision.action is Action.DEAD_LETTER:
                self.queues.dead_letter(
                    m.body, decision.reason or "", CrmJob.model_validate_json(m.body).conversationId
                )

    def bots_finish(self, lose_callbacks: bool) -> None:
        """Every deployed run completes and writes what it was given; its callback may be lost."""
        with self.room.lock:
            deployed = [(d, run) for d, run in self.room.deployments.items() if run["status"] == "DEPLOYED"]
            for _, run in deployed:
                run["status"] = "COMPLETED"
        for deployment_id, run in deployed:
            inputs = {k: v["string"] for k, v in run["botInput"].items()}
            self.crm[inputs["sConversationId"]] = inputs["sWrapupCode"]
            self.runs.append((inputs["sConversationId"], inputs["sContent"]))
            if not lose_callbacks:
                self.callback.settle(deployment_id, "COMPLETED")

    def reconcile(self) -> None:
        self.clock.advance(worst_case_s(RETRY, BOT_RUN_BUDGET_S) + 1)
        self.reconciler.run()

    def redrive(self) -> None:
        for cid in list(self.queues.dead):
            record = self.store.records[cid]
            self.queues.messages.append(Message(CrmJob.from_record(record).model_dump_json(), self.clock()))
            del self.queues.dead[cid]

    def apply(self, action: str, call: int, code: int) -> None:
        match action:
            case "wrap_up":
                self.wrap_up(call, code)
            case "work" | "work_short":
                self.work(short=action == "work_short")
            case "bots" | "bots_lose":
                self.bots_finish(lose_callbacks=action == "bots_lose")
            case "lose_stream":
                self.lost_streams.add(f"c{call}")
            case "reconcile":
                self.reconcile()
            case "redrive":
                self.redrive()
            case _:
                self.clock.advance(30)

    def finish(self) -> None:
        """No more faults: let every path finish (the reconciler on its schedule)."""
        for _ in range(100):
            if self.quiet():
                return
            self.clock.advance(15)
            self.work(short=False)
            self.bots_finish(lose_callbacks=False)
            if not self.queues.messages:
                self.reconcile()

    def quiet(self) -> bool:
        with self.room.lock:
            running = any(run["status"] == "DEPLOYED" for run in self.room.deployments.values())
        pending = any(
            r.sync_status is not None and r.sync_status.value == "pending" for r in self.store.records.values()
        )
        return not running and not self.queues.messages and not pending


ACTIONS = ("wrap_up", "work", "work_short", "bots", "bots_lose", "lose_stream", "reconcile", "redrive", "tick")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, CALLS - 1), st.integers(0, 2)), min_size=1, max_size=30)
)
def test_the_crm_ends_holding_each_newest_disposition_or_the_call_is_dead_lettered(
    steps: list[tuple[str, int, int]],
) -> None:
    clock = FakeClock(1_764_600_000.0)
    with AutomationAnywhereSandbox(seed=1, clock=clock) as room:
        world = World(clock, room)
        for action, call, code in steps:
            clock.advance(1)
            world.apply(action, call, code)
        world.finish()
        for cid, record in world.store.records.items():
            if cid in world.queues.dead:
                continue  # in the dead-letter queue, with its reason
            assert world.crm.get(cid) == record.wrapup_code_id, f"{cid}: the CRM holds another disposition"
            assert record.sync_status is not None and record.sync_status.value == "synced", cid
        assert len(world.runs) == len(set(world.runs)), "a bot ran twice for one content"
