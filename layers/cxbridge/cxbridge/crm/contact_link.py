"""Contact linking at sync time: each call's customer, read from Genesys, looked up in the CRM.

The customer's number (or the external contact Genesys matched) is read from the conversation API when
the outcome is built and used for one lookup: it is never stored, logged or queued. Lookups go through
``LookupService``, so a customer costs at most one CRM request per cache lifetime. No match, several,
or no answer: the call is written without a link (metric ``ContactsNotLinked``), never held back.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from cxbridge.core.observability import logger, metrics
from cxbridge.core.upstream import UpstreamFailure
from cxbridge.crm.lookup import LookupKind, LookupQuery, LookupStatus, normalise_phone

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cxbridge.crm.lookup_service import LookupService
    from cxbridge.genesys.ports import ConversationCustomers, CustomerIdentity


def query_for(customer: CustomerIdentity) -> LookupQuery | None:
    """The lookup for a customer: by number (E.164), else by the Genesys external contact id as customer id."""
    number = normalise_phone(customer.address) if customer.address else None
    if number is not None:
        return LookupQuery(LookupKind.PHONE, number)
    if customer.external_contact_id:
        return LookupQuery(LookupKind.CUSTOMER_ID, customer.external_contact_id)
    return None


class ContactLinker:
    """The CRM contact of each conversation, or None; the batch's lookups run side by side, and the batch
    waits ``budget_s`` at most for them (a call whose lookup has not answered by then is written unlinked)."""

    def __init__(
        self,
        customers: ConversationCustomers,
        lookups: LookupService,
        *,
        deadline_s: float,
        budget_s: float,
        workers: int = 8,
    ) -> None:
        self._customers = customers
        self._lookups = lookups
        self._deadline_s = deadline_s
        self._budget_s = budget_s
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="link")

    def contacts(self, conversation_ids: Sequence[str]) -> dict[str, str | None]:
        """Conversation id → the CRM contact's id (exactly one match), else None."""
        futures = {cid: self._pool.submit(self._contact, cid) for cid in conversation_ids}
        wait(futures.values(), timeout=self._budget_s)
        found = {cid: f.result() if f.done() and not f.cancelled() else None for cid, f in futures.items()}
        for future in futures.values():
            future.cancel()  # those not started; a started one ends within its request timeouts
        missing = sum(contact is None for contact in found.values())
        if missing:
            metrics.add_metric(name="ContactsNotLinked", unit=MetricUnit.Count, value=missing)
        if len(found) - missing:
            metrics.add_metric(name="ContactsLinked", unit=MetricUnit.Count, value=len(found) - missing)
        return found

    def _contact(self, conversation_id: str) -> str | None:
        try:
            customer = self._customers.get_customer(conversation_id)
        except UpstreamFailure as failure:
            logger.warning("customer unknown", extra={"conversationId": conversation_id, "reason": failure.reason})
            return None
        query = query_for(customer) if customer is not None else None
        if query is None:
            return None
        result = self._lookups.lookup(query, self._deadline_s)
        if result.status is not LookupStatus.FOUND:
            logger.info("contact not linked", extra={"conversationId": conversation_id, "status": result.status.value})
            return None
        return result.record_id
