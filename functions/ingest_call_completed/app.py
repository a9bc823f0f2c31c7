"""POST /genesys/conversations/call-completed (and the partner bus rule): the seed guide's Call.Completed webhook."""

from cxbridge.calls.event import EventKind
from cxbridge.calls.ingest_api import ingest_handler

lambda_handler = ingest_handler(EventKind.CALL_COMPLETED)
