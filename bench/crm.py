"""CRM sync at volume: queued records through the real Salesforce sink and service, against the local fake.

The queue is simulated in memory on a virtual clock (backoff and ``Retry-After`` waits cost no real
time); the CRM is the Salesforce sandbox over HTTP on 127.0.0.1, throttling a share of requests. Worker
time is the wall time spent inside the service, which is what a Lambda invocation would bill.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, replace
from typing import Any

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.record import merge
from cxbridge.core.oauth import TokenCache
from cxbridge.crm.breaker import BreakerPolicy
from cxbridge.crm.job import CrmJob
from cxbridge.crm.oauth import SalesforceTokenSource
from cxbridge.crm.salesforce import SalesforceMapping, SalesforceSink
from cxbridge.crm.sync import Action, CrmSyncService, RetryPolicy, SyncItem
from local.sandboxes.salesforce import SalesforceSandbox
from tests.fakes.crm import InMemoryBreakerStore, InMemorySyncStatusStore

MAPPING = SalesforceMapping(
    object="Call_Log__c",
    external_id_field="CallReference__c",
    fields={"Disposition__c": "disposition", "Duration_Seconds__c": "handle_s"},
)


class _Names:
    def resolve(self, code_id: str) -> str:
        return f"Disposition {code_id}"


@dataclass
class _Message:
    message_id: str
    conversation_id: str
    receives: int = 0
    visible_at: float = 0.0


def bench_crm(records: int, throttle_ratio: float = 0.3, batch_size: int = 200, seed: int = 11) -> dict[str, Any]:
    """Sync ``records`` calls; count requests, time, and what was lost or duplicated."""
    rnd = random.Random(seed)
    cids = [f"bench-{n:06d}" for n in range(records)]
    calls = []
    for cid in cids:
        event = CallEvent(EventKind.ACW, cid, "agent", 1_763_900_000_000, wrapup_code_id=f"w{rnd.randrange(8)}")
        calls.append(replace(merge(None, event).record, version=1))
    store = InMemorySyncStatusStore(calls)
    clock = [0.0]
    with SalesforceSandbox(seed=seed) as crm:
        crm.configure(throttle_ratio=throttle_ratio)
        tokens = TokenCache(SalesforceTokenSource(crm.url, crm.client_id, crm.client_secret))
        service = CrmSyncService(
            SalesforceSink(MAPPING, tokens),
            store,
            _Names(),
            InMemoryBreakerStore(),
            breaker_policy=BreakerPolicy(threshold=5, cooldown_s=30),
            retry=RetryPolicy(base_s=2, cap_s=300, max_receives=8),
            rand=rnd.random,
            clock=lambda: clock[0],
        )
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
        stored = crm.state()["records"].get("Call_Log__c", {})
        created = len({r["Id"] for r in stored.values()})
        upserts = crm.requests("upsert")
    return {
        "records": records,
        "crm_requests": upserts,
        "crm_requests_per_record": upserts / records,
        "crm_records_per_s": len(stored) / worker_s if worker_s else None,
        "lost": len(set(cids) - set(stored) - dead),
        "duplicated": len(stored) - created,
        "dead_lettered": len(dead),
    }
