"""What a CRM or RPA sink is given and what it answers for each conversation.

Pure data: the sinks turn vendor answers into these types (with ``core.upstream.WriteStatus``), and the
worker decides from them alone whether a message is done, retried later or dead-lettered.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from cxbridge.core.upstream import WriteStatus

if TYPE_CHECKING:
    from cxbridge.calls.record import CallRecord


# The reason of a record not sent because the invocation's time left could not cover another request.
TIME_BUDGET = "time-budget"


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
    contact_id: str | None = None  # the CRM record of the customer, when a lookup found exactly one (issue 18)
    content: str = ""  # ``record_content`` of the record this was built from: what "synced" will mean

    def value(self, name: str) -> str | int | None:
        """The attribute a field mapping names; mappings are configuration, so a typo must not pass silently."""
        if name not in OUTCOME_ATTRIBUTES:
            raise MappingError(name)
        value: str | int | None = getattr(self, name)
        return value


OUTCOME_ATTRIBUTES = frozenset(f.name for f in fields(CrmOutcome))


def record_content(record: CallRecord) -> str:
    """A short hash of the call facts a sink is sent (those a ``CrmJob`` carries), from the record alone.

    The record's version moves on every write, this only when what the CRM would hold changes: a bot
    run's callback compares it with the ledger's to tell whether the CRM now holds *this* record.
    """
    facts = [
        record.wrapup_code_id,
        record.disposition_name,
        record.disposition_time,
        record.user_id,
        record.queue_id,
        record.media_type,
        record.direction,
        record.talk_ms,
        record.held_ms,
        record.acw_ms,
        record.handle_ms,
        record.call_date,
    ]
    return hashlib.sha256(json.dumps(facts).encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class CrmWriteResult:
    """One conversation's answer from a sink. ``reason`` is a vendor code or our tag, never message text."""

    conversation_id: str
    status: WriteStatus
    retry_after_s: float | None = None
    reason: str | None = None
    crm_id: str | None = None


def no_deadline() -> bool:
    """``may_send`` for a caller with no time limit (a script, a benchmark): every request may start."""
    return True


def not_sent(conversation_id: str) -> CrmWriteResult:
    """The answer for a record whose request was not started: the invocation's time left was too short."""
    return CrmWriteResult(conversation_id, WriteStatus.TRANSIENT, reason=TIME_BUDGET)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A bot deployment we intended (``claimed_at``, epoch s) for the record ``content``, once known the
    Control Room's id for it, and whether its run has ended (``settled``: a newer content may deploy)."""

    conversation_id: str
    claimed_at: float
    deployment_id: str | None = None
    content: str = ""
    settled: bool = False
    # Work-queue mode (issue 16): the item failed (``reason`` is the bot's), and how many items were added
    # for this content; a failed entry is taken over by ``reclaim`` while attempts are left.
    failed: bool = False
    attempts: int = 1
    reason: str | None = None

    def holds(self, content: str) -> bool:
        """Whether this entry's run was given ``content``. An entry claimed before contents were recorded
        (empty) is taken as given it: its run is judged as it was before."""
        return not self.content or self.content == content


# Run statuses the Control Room reports (crm-rpa-facts 3.3): the ones that end a run.
RUN_COMPLETED = frozenset({"COMPLETED"})
# Work items (transcripts-lookups-bulk-auth-facts 6): ``FAILED``, and the 11.x ``ERROR`` / A360 ``DATA_ERROR``
# (the exact A360 strings are unconfirmed; docs/decisions.md).
RUN_FAILED = frozenset({"RUN_FAILED", "RUN_ABORTED", "RUN_TIMED_OUT", "DEPLOY_FAILED", "FAILED", "ERROR", "DATA_ERROR"})
