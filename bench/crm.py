"""CRM sync at volume: queued records through the real sinks and service, against the local fakes.

The queue is simulated in memory on a virtual clock (backoff and ``Retry-After`` waits cost no real
time); the CRM is a sandbox over HTTP on 127.0.0.1, throttling a share of requests. Worker time is the
wall time spent inside the service, which is what a Lambda invocation would bill. ``bench_batch_seconds``
runs worker batches on the wall clock instead, with hanging requests and the function's time limit.
"""

from __future__ import annotations

import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.record import merge
from cxbridge.core.http import DEFAULT_TIMEOUT_S
from cxbridge.core.oauth import TokenCache
from cxbridge.crm.automation_anywhere_wlm import AutomationAnywhereWorkQueueSink
from cxbridge.crm.breaker import BreakerPolicy
from cxbridge.crm.dynamics import DynamicsMapping, DynamicsSink
from cxbridge.crm.job import CrmJob
from cxbridge.crm.oauth import AutomationAnywhereTokenSource, EntraTokenSource, SalesforceTokenSource
from cxbridge.crm.salesforce import SalesforceMapping, SalesforceSink
from cxbridge.crm.sync import Action, CrmSyncService, RetryPolicy, SyncItem
from cxbridge.crm.work_queue import WorkQueueMapping
from local.sandboxes.automation_anywhere import AutomationAnywhereSandbox
from local.sandboxes.base import SANDBOX_SECRET
from local.sandboxes.dynamics import DynamicsSandbox
from local.sandboxes.salesforce import SalesforceSandbox
from tests.fakes.crm import InMemoryBreakerStore, InMemorySyncStatusStore
from tests.fakes.ledger import InMemoryBotDeploymentLedger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from cxbridge.calls.record import CallRecord
    from cxbridge.crm.ports import CrmSink
    from local.sandboxes.base import SandboxServer

Sink = Literal["salesforce", "dynamics", "dynamics_single", "aa_workqueue"]
MAPPING = SalesforceMapping(
    object="Call_Log__c",
    external_id_field="CallReference__c",
    fields={"Disposition__c": "disposition", "Duration_Seconds__c": "handle_s"},
)
DYNAMICS_MAPPING = DynamicsMapping(
    entity_set="cxb_calllogs",
    logical_name="cxb_calllog",
    alternate_key="cxb_conversationid",
    fields={"cxb_disposition": "disposition", "cxb_handleseconds": "handle_s"},
)
WORK_QUEUE_MAPPING = WorkQueueMapping(
    queue_id=12,
    work_item={"conversationId": "conversation_id", "disposition": "disposition", "handleSeconds": "handle_s"},
)  # the default batch_size: two add requests per worker batch of 200 (the template's default)
WORKER_TIMEOUT_S = 60.0  # the template's CrmSyncWorkerFunction Timeout
WRITE_ROUTES = ("upsert", "upsert_multiple", "message_filters", "wlm_add")


class _Names:
    def resolve(self, code_id: str) -> str:
        return f"Disposition {code_id}"


@dataclass
class _Message:
    message_id: str
    conversation_id: str
    receives: int = 0
    visible_at: float = 0.0


@dataclass
class _Crm:
    server: SandboxServer[Any]
    sink: CrmSink

    def stored(self) -> dict[str, str]:
        """Conversation id → the CRM's row id (the Control Room's: the first work item's)."""
        state = self.server.state()
        if isinstance(self.server, AutomationAnywhereSandbox):
            items = reversed(state["workitems"])
            return {i["json"]["conversationId"]: i["id"] for i in items}
        if isinstance(self.server, SalesforceSandbox):
            return {cid: r["Id"] for cid, r in state["records"].get("Call_Log__c", {}).items()}
        rows = state["rows"].get(DYNAMICS_MAPPING.entity_set, {})
        return {key.partition("=")[2]: r["id"] for key, r in rows.items()}

    def requests(self) -> int:
        return sum(self.server.requests(route) for route in WRITE_ROUTES)

    def duplicated(self, stored: dict[str, str]) -> int:
        """Rows (work items) beyond one per conversation."""
        if isinstance(self.server, AutomationAnywhereSandbox):
            return len(self.server.state()["workitems"]) - len(stored)
        return len(stored) - len(set(stored.values()))


@contextmanager
def _crm(sink: Sink, seed: int, timeout_s: float = DEFAULT_TIMEOUT_S) -> Iterator[_Crm]:
    if sink == "salesforce":
        with SalesforceSandbox(seed=seed) as sf:
            tokens = TokenCache(SalesforceTokenSource(sf.url, sf.client_id, sf.client_secret))
            yield _Crm(sf, SalesforceSink(MAPPING, tokens, timeout_s=timeout_s))
        return
    if sink == "aa_workqueue":
        with AutomationAnywhereSandbox(seed=seed) as cr:
            tokens = TokenCache(AutomationAnywhereTokenSource(cr.url, "svc_api", SANDBOX_SECRET))
            ledger, key = InMemoryBotDeploymentLedger(), b"bench-callback-key"
            wlm = AutomationAnywhereWorkQueueSink(WORK_QUEUE_MAPPING, cr.url, tokens, ledger, callback_key=key)
            yield _Crm(cr, wlm)
        return
    with DynamicsSandbox(seed=seed) as dv:
        source = EntraTokenSource(dv.tenant_id, dv.client_id, dv.client_secret, dv.url, dv.url)
        mapping = DYNAMICS_MAPPING.model_copy(update={"write_mode": "single" if sink == "dynamics_single" else "bulk"})
        yield _Crm(dv, DynamicsSink(mapping, dv.url, TokenCache(source), timeout_s=timeout_s))


def _calls(cids: list[str], rnd: random.Random) -> list[CallRecord]:
    calls = []
    for cid in cids:
        event = CallEvent(EventKind.ACW, cid, "agent", 1_763_900_000_000, wrapup_code_id=f"w{rnd.randrange(8)}")
        calls.append(replace(merge(None, event).record, version=1))
    return calls


def _service(
    crm: _Crm,
    store: InMemorySyncStatusStore,
    rnd: random.Random,
    clock: Callable[[], float],
    breaker: BreakerPolicy | None = None,
) -> CrmSyncService:
    return CrmSyncService(
        crm.sink,
        store,
        _Names(),
        InMemoryBreakerStore(),
        breaker_policy=breaker or BreakerPolicy(threshold=5, cooldown_s=30),
        retry=RetryPolicy(base_s=2, cap_s=300, max_receives=8),
        rand=rnd.random,
        clock=clock,
    )


def bench_crm(
    records: int, sink: Sink = "salesforce", throttle_ratio: float = 0.3, batch_size: int = 200, seed: int = 11
) -> dict[str, Any]:
    """Sync ``records`` calls; count requests, time, and what was lost or duplicated."""
    rnd = random.Random(seed)
    cids = [f"bench-{n:06d}" for n in range(records)]
    store = InMemorySyncStatusStore(_calls(cids, rnd))
    clock = [0.0]
    with _crm(sink, seed) as crm:
        crm.server.configure(throttle_ratio=throttle_ratio)
        service = _service(crm, store, rnd, lambda: clock[0])
        queue = [_Message(f"m{n}", cid) for n, cid in enumerate(cids)]
        dead: set[str] = set()
        worker_s = 0.0
        while queue:
            visible = [m for m in queue if m.visible_at <= clock[0]][:batch_size]
            if not visible:
                clock[0] = min(m.visible_at for m in queue)
                continue
            for m in visible:
                m.receives += 1
            items = [
                SyncItem(m.message_id, CrmJob(conversationId=m.conversation_id, recordVersion=1), m.receives)
                for m in visible
            ]
            start = time.perf_counter()
            decisions = service.sync(items)
            worker_s += time.perf_counter() - start
            for m in visible:
                decision = decisions[m.message_id]
                if decision.action is Action.RETRY:
                    m.visible_at = clock[0] + decision.delay_s
                    continue
                queue.remove(m)
                if decision.action is Action.DEAD_LETTER:
                    dead.add(m.conversation_id)
            clock[0] += 0.05
        stored = crm.stored()
        requests = crm.requests()
        duplicated = crm.duplicated(stored)
    return {
        "records": records,
        "crm_requests": requests,
        "crm_requests_per_record": requests / records,
        "crm_records_per_s": len(stored) / worker_s if worker_s else None,
        "lost": len(set(cids) - set(stored) - dead),
        "duplicated": duplicated,
        "dead_lettered": len(dead),
    }


def bench_batch_seconds(sink: Sink, batches: int, records: int = 200, hang_ratio: float = 0.07, seed: int = 5) -> float:
    """The slowest of ``batches`` worker batches of ``records`` messages while ``hang_ratio`` of requests
    hang past the HTTP timeout, on the wall clock, each given the worker's time limit; what a batch
    leaves is delivered again at once until done."""
    rnd = random.Random(seed)
    cids = [f"hang-{n:05d}" for n in range(records * batches)]
    store = InMemorySyncStatusStore(_calls(cids, rnd))
    slowest = 0.0
    with _crm(sink, seed) as crm:
        crm.server.configure(timeout_ratio=hang_ratio, hang_s=DEFAULT_TIMEOUT_S + 1)
        # No breaker here: the figure is how long a batch takes when its requests hang, not how soon it stops.
        service = _service(crm, store, rnd, time.time, BreakerPolicy(threshold=1_000_000, cooldown_s=1))
        for first in range(0, len(cids), records):
            receives = dict.fromkeys(cids[first : first + records], 0)
            while receives:
                for cid in receives:
                    receives[cid] += 1
                items = [SyncItem(cid, CrmJob(conversationId=cid, recordVersion=1), n) for cid, n in receives.items()]
                start = time.monotonic()

                def remaining_ms(start: float = start) -> int:
                    return int((WORKER_TIMEOUT_S - (time.monotonic() - start)) * 1000)

                decisions = service.sync(items, remaining_ms)
                slowest = max(slowest, time.monotonic() - start)
                receives = {cid: n for cid, n in receives.items() if decisions[cid].action is Action.RETRY}
    return slowest
