"""DynamoDB's per-request atomicity, which moto lacks.

moto checks a ``ConditionExpression`` and then writes, without a lock: two threads writing on the same
record version can both pass the check (the second write then silently drops the first), which
DynamoDB never allows and cxbridge's exactly-once merge relies on. Under load the 3x concurrent replay
test saw it once. Serialising moto's DynamoDB requests restores the guarantee; the handlers' own
interleavings (read, merge, conditional write, retry) stay as concurrent as before.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.Lock()


def make_dynamodb_requests_atomic() -> None:
    """Wrap moto's DynamoDB request handler in a process-wide lock (idempotent)."""
    from moto.dynamodb.responses import DynamoHandler  # noqa: PLC0415 - moto is a local and test dependency

    original = DynamoHandler.call_action
    if getattr(original, "atomic", False):
        return

    def call_action(self: DynamoHandler) -> Any:
        with _LOCK:
            return original(self)

    call_action.atomic = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
