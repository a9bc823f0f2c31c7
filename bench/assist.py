"""CRM lookups: the assist route's answer time with the CRM answering and hanging, and contact linking's CRM
requests per call.

The lookups are the real ``LookupService`` with the Salesforce directory over HTTP against the sandbox;
the cache and the breaker are the in-memory fakes (DynamoDB's own latency is the ingest bench's).
Genesys is an in-memory fake: the figure is CRM requests, and Genesys is asked once per call either way.
"""

from __future__ import annotations

import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cxbridge.core.oauth import TokenCache
from cxbridge.crm.breaker import BreakerPolicy
from cxbridge.crm.contact_link import ContactLinker
from cxbridge.crm.lookup import LookupKind, LookupQuery, LookupStatus
from cxbridge.crm.lookup_service import LookupService
from cxbridge.crm.oauth import SalesforceTokenSource
from cxbridge.crm.salesforce_lookup import SalesforceDirectory, SalesforceLookup
from cxbridge.genesys.ports import CustomerIdentity
from local.sandboxes.salesforce import SalesforceSandbox
from tests.fakes.crm import InMemoryBreakerStore, InMemoryLookupCache

DEADLINE_S = 3.0  # the AssistDeadlineSeconds default
LOOKUP = SalesforceLookup(fields={"name": "Name"})


def _number(n: int) -> str:
    return f"+1555{n:07d}"


def _service(crm: SalesforceSandbox) -> LookupService:
    directory = SalesforceDirectory(
        LOOKUP, TokenCache(SalesforceTokenSource(crm.url, crm.client_id, crm.client_secret))
    )
    return LookupService(
        lambda: directory, InMemoryLookupCache(), InMemoryBreakerStore(), breaker_policy=BreakerPolicy()
    )


def _seed(crm: SalesforceSandbox, known: int) -> None:
    crm.records["Contact"] = {
        f"c{n}": {"Id": f"003{n:012d}", "Name": f"Customer {n}", "Phone": _number(n)} for n in range(known)
    }


def _p99_ms(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98] * 1000


def _timed(service: LookupService, query: LookupQuery) -> tuple[float, LookupStatus]:
    start = time.perf_counter()
    status = service.lookup(query, DEADLINE_S).status
    return time.perf_counter() - start, status


def bench_assist(requests: int, hanging_waves: int, seed: int = 5) -> dict[str, Any]:
    """p99 answer time with the CRM answering (``requests`` lookups of a quarter as many customers) and
    hanging (waves of 20 concurrent lookups, each CRM request held far past the deadline)."""
    rnd = random.Random(seed)
    customers = max(1, requests // 4)
    with SalesforceSandbox(seed=seed) as crm:
        _seed(crm, customers // 2)
        service = _service(crm)
        ok = [
            _timed(service, LookupQuery(LookupKind.PHONE, _number(rnd.randrange(customers)))) for _ in range(requests)
        ]
    with SalesforceSandbox(seed=seed) as crm:
        crm.configure(timeout_ratio=1.0, hang_s=DEADLINE_S * 3)
        service = _service(crm)
        hanging: list[tuple[float, LookupStatus]] = []
        with ThreadPoolExecutor(max_workers=20) as callers:
            for wave in range(hanging_waves):
                queries = [LookupQuery(LookupKind.PHONE, _number(wave * 20 + n)) for n in range(20)]
                hanging += callers.map(lambda q: _timed(service, q), queries)
    return {
        "assist_p99_ms_crm_ok": _p99_ms([t for t, _ in ok]),
        "assist_p99_ms_crm_hanging": _p99_ms([t for t, _ in hanging]),
        "assist_hanging_all_fallback": all(s is LookupStatus.FALLBACK for _, s in hanging),
        "assist_hanging_answers": len(hanging),
    }


class _Conversations:
    """Genesys: each conversation's customer number."""

    def __init__(self, numbers: dict[str, str]) -> None:
        self._numbers = numbers

    def get_customer(self, conversation_id: str) -> CustomerIdentity | None:
        return CustomerIdentity(address=f"tel:{self._numbers[conversation_id]}")


def bench_linking(calls: int, customers: int, batch_size: int = 200, seed: int = 9) -> dict[str, Any]:
    """Link ``calls`` calls of ``customers`` customers (half of them known to the CRM) in worker-sized
    batches; CRM lookup requests per call."""
    rnd = random.Random(seed)
    numbers = {f"link-{n:06d}": _number(rnd.randrange(customers)) for n in range(calls)}
    with SalesforceSandbox(seed=seed) as crm:
        _seed(crm, customers // 2)
        linker = ContactLinker(_Conversations(numbers), _service(crm), deadline_s=DEADLINE_S, budget_s=30.0)
        ids = list(numbers)
        linked = 0
        for start in range(0, calls, batch_size):
            linked += sum(c is not None for c in linker.contacts(ids[start : start + batch_size]).values())
        searches = crm.requests("search")
    return {"lookup_requests_per_call": searches / calls, "linked_share": linked / calls}
