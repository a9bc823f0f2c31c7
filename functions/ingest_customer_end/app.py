"""POST /genesys/conversations/customer-end (and the partner bus rule): the customer's end of a call."""

from cxbridge.calls.event import EventKind
from cxbridge.calls.ingest_api import ingest_handler

lambda_handler = ingest_handler(EventKind.CUSTOMER_END)
