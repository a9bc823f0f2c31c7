"""The bot callback's credential: a token per deployment, an HMAC over the call it writes.

The Control Room sends back the headers it was deployed with (``callbackInfo.headers``), so each deploy
carries its own token instead of a key of our API: a token leaked from one run's configuration speaks for
that call only, and holds as long as the call's ledger entry does, however long the bot runs. The key
is a stack secret with a current and a previous value, so rotating it never strands a run in flight.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxbridge.core.keys import Keys

HEADER = "X-Cxbridge-Callback-Token"
_PURPOSE = b"cxbridge bot callback v1\x1f"


def sign(key: bytes, conversation_id: str) -> str:
    """The token a deployment for ``conversation_id`` is given."""
    digest = hmac.new(key, _PURPOSE + conversation_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def valid(token: str, keys: Keys, conversation_id: str) -> bool:
    """Whether ``token`` was made for ``conversation_id`` with a key still accepted (constant-time)."""
    return any(hmac.compare_digest(token.encode(), sign(key, conversation_id).encode()) for key in keys.accepted())
