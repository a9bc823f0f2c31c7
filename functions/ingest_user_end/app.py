"""POST /genesys/conversations/user-end (and the partner bus rule): an agent's end of a call."""

from cxbridge.domain.call_events import EventKind
from cxbridge.ingest_api import ingest_handler

lambda_handler = ingest_handler(EventKind.USER_END)
