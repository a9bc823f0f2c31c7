"""What an outside system answered, as the retry logic sees it, and how long to wait before trying again.

Pure data and arithmetic shared by every feature that calls out (CRM sinks, Genesys, source-system
callbacks): adapters turn vendor answers into these types, and the queue consumers decide from them alone
whether a message is done, retried later (and when) or dead-lettered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

# SQS cannot hide a message for longer than this (ChangeMessageVisibility maximum, 12 h).
SQS_MAX_VISIBILITY_S = 43_200


class WriteStatus(StrEnum):
    """What became of one conversation's write, and so what the worker does with its message."""

    WRITTEN = "written"  # the CRM has the record: delete the message
    SUBMITTED = "submitted"  # an RPA bot was deployed; its result arrives later by callback
    THROTTLED = "throttled"  # the system asked us to slow down: retry later, honouring retry_after_s
    TRANSIENT = "transient"  # timeout, connection error, 5xx: retry later with backoff
    PERMANENT = "permanent"  # retrying the same write cannot succeed: dead-letter now with the reason


@dataclass
class UpstreamFailure(Exception):
    """A call to an outside system failed before it could answer for any single record.

    Not frozen: the interpreter and ``contextlib`` set ``__traceback__`` on exceptions.
    """

    status: WriteStatus
    reason: str
    retry_after_s: float | None = None

    def __str__(self) -> str:
        return f"{self.status}: {self.reason}"


def backoff_delay(
    attempt: int,
    base_s: float,
    cap_s: float,
    retry_after_s: float | None,
    rand: Callable[[], float],
) -> float:
    """Seconds to wait before retry number ``attempt`` (0 for the first retry).

    Full jitter, ``rand() * min(cap_s, base_s * 2**attempt)``, spreads the retries of many workers that
    failed together. A server's ``Retry-After`` is a floor: retrying earlier only lengthens a throttle
    (Dataverse says so). When ``Retry-After`` exceeds ``cap_s`` the server wins, because our cap is a guess
    and its answer is not, but nothing exceeds ``SQS_MAX_VISIBILITY_S``, the longest a message can be hidden.
    ``rand`` should return values in [0, 1); anything outside is clamped, so the result is never negative.
    """
    if attempt < 0 or base_s < 0 or cap_s < 0:
        raise ValueError("attempt, base_s and cap_s must not be negative")
    try:
        grown = math.ldexp(base_s, attempt)
    except OverflowError:
        grown = math.inf
    delay = min(max(rand(), 0.0), 1.0) * min(cap_s, grown)
    if retry_after_s is not None:
        delay = max(delay, retry_after_s)
    return max(0.0, min(delay, float(SQS_MAX_VISIBILITY_S)))
