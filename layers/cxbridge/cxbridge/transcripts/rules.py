"""When a call needs a transcript job, and how long to wait for a transcript that is not there yet.

Pure: no SDK, no HTTP. A call has ended when its record holds the customer's end (``customer.end``) or the
webhook's completion (``call.completed``). The note hangs on the call's CRM record, which exists only for a
call with a disposition (the CRM-sync job writes it), so the job is due on the change that first makes the
call both ended and dispositioned, whichever of the two comes last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cxbridge.calls.event import EventKind
from cxbridge.core.upstream import SQS_MAX_VISIBILITY_S

if TYPE_CHECKING:
    from collections.abc import Callable

    from cxbridge.calls.record import CallRecord

ENDING_KINDS = (EventKind.CUSTOMER_END, EventKind.CALL_COMPLETED)


def ended_at(record: CallRecord | None) -> int | None:
    """Epoch ms of the earliest event that ended the call, or None while it has not ended."""
    if record is None:
        return None
    times = [cell[0] for key, cell in record.cells.items() if key.split(":", 1)[0] in ENDING_KINDS]
    return min(times, default=None)


def transcript_due(record: CallRecord | None) -> bool:
    """The call has ended and has a disposition (so its CRM record is, or will be, written)."""
    return record is not None and ended_at(record) is not None and record.disposition is not None


def needs_transcript_job(old: CallRecord | None, new: CallRecord) -> bool:
    """True on the change that makes the transcript due (a redelivered or later event queues nothing more)."""
    return not transcript_due(old) and transcript_due(new)


@dataclass(frozen=True, slots=True)
class WaitPolicy:
    """Growing waits for a transcript Genesys has not produced yet, up to a deadline after the call ended.

    Transcripts usually exist within minutes of the call (reference §1.4), rarely hours later: the wait
    doubles from ``base_s`` up to ``cap_s``,
    and ``deadline_s`` after the job was queued the call is recorded as having no transcript.
    """

    base_s: float = 60.0
    cap_s: float = 3_600.0
    deadline_s: float = 86_400.0

    def past_deadline(self, since_ms: int, now_ms: int) -> bool:
        return now_ms - since_ms >= self.deadline_s * 1000

    def next_wait_s(
        self, receive_count: int, since_ms: int, now_ms: int, retry_after_s: float | None, rand: Callable[[], float]
    ) -> float:
        """Seconds to hide the job after its ``receive_count``-th receive.

        Equal jitter (half the grown wait, plus up to as much again): the waits grow for sure, so the number
        of receives before the deadline is bounded (about 55 for 24 h with the defaults), and a server's
        ``Retry-After`` is a floor. The job comes back by the deadline, so the deadline is checked on time.
        """
        grown = min(self.cap_s, math.ldexp(self.base_s, min(max(0, receive_count - 1), 32)))
        delay = grown / 2 + min(max(rand(), 0.0), 1.0) * grown / 2
        if retry_after_s is not None:
            delay = max(delay, retry_after_s)
        left_s = max(1.0, self.deadline_s - (now_ms - since_ms) / 1000 + 1)
        return min(delay, left_s, float(SQS_MAX_VISIBILITY_S))
