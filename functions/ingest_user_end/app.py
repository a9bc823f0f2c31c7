"""POST /genesys/conversations/user-end (and the partner bus rule): an agent's end of a call."""

from cxbridge.calls.event import EventKind
from cxbridge.calls.ingest_api import ingest_handler

lambda_handler = ingest_handler(EventKind.USER_END)
