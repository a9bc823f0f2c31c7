"""POST /genesys/conversations/acw (and the partner bus rule): after-call work (wrap-up)."""

from cxbridge.calls.event import EventKind
from cxbridge.calls.ingest_api import ingest_handler

lambda_handler = ingest_handler(EventKind.ACW)
