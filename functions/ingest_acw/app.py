"""POST /genesys/conversations/acw (and the partner bus rule): after-call work (wrap-up)."""

from cxbridge.domain.call_events import EventKind
from cxbridge.ingest_api import ingest_handler

lambda_handler = ingest_handler(EventKind.ACW)
