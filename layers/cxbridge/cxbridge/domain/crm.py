"""What a CRM or RPA sink is given, what it answers, and how long to wait before trying again.

Pure data and arithmetic: the adapters turn vendor answers into these types, and the worker decides
from them alone whether a message is done, retried later (and when) or dead-lettered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
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


class MappingError(ValueError):
    """A field mapping names something that is not a ``CrmOutcome`` attribute (a configuration error)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown call outcome attribute: {name}")
        self.name = name


@dataclass(frozen=True, slots=True)
class CrmOutcome:
    """The flat, PII-free facts of one call that a sink may write: ids, codes, seconds and dates only."""

    conversation_id: str
    disposition: str | None = None  # the wrap-up code's resolved name
    wrapup_code_id: str | None = None
    user_id: str | None = None
    queue_id: str | None = None
    media_type: str | None = None
    direction: str | None = None
    talk_s: int | None = None
    held_s: int | None = None
    acw_s: int | None = None
    handle_s: int | None = None
    call_date: str | None = None  # YYYY-MM-DD (UTC)
    disposition_time: int | None = None  # epoch ms

    def value(self, name: str) -> str | int | None:
        """The attribute a field mapping names; mappings are configuration, so a typo must not pass silently."""
        if name not in OUTCOME_ATTRIBUTES:
            raise MappingError(name)
        value: str | int | None = getattr(self, name)
        return value


OUTCOME_ATTRIBUTES = frozenset(f.name for f in fields(CrmOutcome))


@dataclass(frozen=True, slots=True)
class CrmWriteResult:
    """One conversation's answer from a sink. ``reason`` is a vendor code or our tag, never message text."""

    conversation_id: str
    status: WriteStatus
    retry_after_s: float | None = None
    reason: str | None = None
    crm_id: str | None = None


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


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A bot deployment we intended (``claimed_at``, epoch s) and, once known, the Control Room's id for it."""

    conversation_id: str
    claimed_at: float
    deployment_id: str | None = None


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
