"""Contact linking: the customer read from Genesys, looked up once per customer, the link in the same upsert."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.record import merge
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.crm.breaker import BreakerPolicy
from cxbridge.crm.contact_link import ContactLinker, query_for
from cxbridge.crm.job import CrmJob
from cxbridge.crm.lookup import LookupKind, LookupQuery, LookupResult, from_matches
from cxbridge.crm.lookup_service import LookupService
from cxbridge.crm.outcome import CrmOutcome, CrmWriteResult
from cxbridge.crm.sync import CrmSyncService, SyncItem
from cxbridge.genesys.ports import CustomerIdentity
from tests.fakes.crm import InMemoryBreakerStore, InMemoryLookupCache, InMemorySyncStatusStore

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

KNOWN = {"+15550100001": "003A", "+15550100002": "003B"}


class Conversations:
    """Genesys: conversation ``c-<n>`` has customer ``n % 4``: 0 none, 1 and 2 in the CRM, 3 Genesys fails."""

    def get_customer(self, conversation_id: str) -> CustomerIdentity | None:
        n = int(conversation_id.split("-")[1]) % 4
        if n == 0:
            return None
        if n == 3:
            raise UpstreamFailure(WriteStatus.TRANSIENT, "timeout")
        return CustomerIdentity(address=f"tel:+1555010000{n}")


class Crm:
    def __init__(self) -> None:
        self.requests = 0

    def find(self, query: LookupQuery, timeout_s: float) -> LookupResult:
        self.requests += 1
        record = KNOWN.get(query.value)
        return from_matches([(record, {})] if record else [])


def linker(crm: Crm) -> ContactLinker:
    lookups = LookupService(
        lambda: crm, InMemoryLookupCache(), InMemoryBreakerStore(), breaker_policy=BreakerPolicy(), workers=2
    )
    return ContactLinker(Conversations(), lookups, deadline_s=3.0, budget_s=10.0, workers=2)


def test_each_call_gets_its_customers_contact_and_a_customer_costs_one_crm_request() -> None:
    crm = Crm()
    ids = [f"c-{n}" for n in range(40)]

    contacts = linker(crm).contacts(ids)

    assert contacts["c-1"] == "003A"
    assert contacts["c-2"] == "003B"
    assert contacts["c-0"] is None  # no customer
    assert contacts["c-3"] is None  # Genesys could not answer: written without a link
    assert crm.requests == 2  # two distinct customers, 20 of their calls


def test_the_lookup_is_by_e164_number_else_by_external_contact() -> None:
    assert query_for(CustomerIdentity(address="tel:+1 555 0100")) == LookupQuery(LookupKind.PHONE, "+15550100")
    assert query_for(CustomerIdentity(address="1234", external_contact_id="x-1")) == LookupQuery(
        LookupKind.CUSTOMER_ID, "x-1"
    )
    assert query_for(CustomerIdentity()) is None
    assert "555" not in repr(CustomerIdentity(address="tel:+15550100"))


class Sink:
    max_batch = 200

    def __init__(self) -> None:
        self.written: list[CrmOutcome] = []

    def write(
        self, outcomes: Sequence[CrmOutcome], may_send: Callable[[], bool] = lambda: True, /
    ) -> list[CrmWriteResult]:
        self.written.extend(outcomes)
        return [CrmWriteResult(o.conversation_id, WriteStatus.WRITTEN) for o in outcomes]


class Names:
    def resolve(self, code_id: str) -> str:
        return "Resolved"


def test_the_link_is_written_in_the_same_upsert_and_a_miss_writes_no_link() -> None:
    records = [
        replace(
            merge(
                None, CallEvent(EventKind.ACW, cid, "agent", 1_700_000_000_000, wrapup_code_id="w-1", acw_ms=1_000)
            ).record,
            version=1,
        )
        for cid in ("c-1", "c-7")
    ]
    sink, store = Sink(), InMemorySyncStatusStore(records)
    service = CrmSyncService(sink, store, Names(), InMemoryBreakerStore(), linker=linker(Crm()))

    service.sync(
        [
            SyncItem(f"m-{r.conversation_id}", CrmJob(conversationId=r.conversation_id, recordVersion=1), 1)
            for r in records
        ]
    )

    assert {o.conversation_id: o.contact_id for o in sink.written} == {"c-1": "003A", "c-7": None}
    # The record says whether the CRM's copy carries the link: the reconciler relinks the others later.
    assert store.contact_linked == {"c-1": True, "c-7": False}


def test_without_linking_the_record_says_nothing_about_a_link() -> None:
    record = replace(
        merge(None, CallEvent(EventKind.ACW, "c-1", "agent", 1_700_000_000_000, wrapup_code_id="w-1")).record,
        version=1,
    )
    store = InMemorySyncStatusStore([record])
    CrmSyncService(Sink(), store, Names(), InMemoryBreakerStore()).sync(
        [SyncItem("m-1", CrmJob(conversationId="c-1", recordVersion=1), 1)]
    )
    assert store.contact_linked == {"c-1": None}
