"""One SQS batch of CRM-sync messages: parse, decide through ``CrmSyncService``, act on each decision.

Returns the ids of the messages that must stay on the queue (reported as batch item failures), so a
failed record never makes the batch's good records run again. Every path ends in the CRM, a later
retry, or the dead-letter queue with a reason.
"""

from __future__ import annotations

from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from cxbridge.core.errors import TransientFailure
from cxbridge.crm.job import CrmJob
from cxbridge.crm.sync import TIME_BUDGET, Action, SyncItem

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cxbridge.crm.ports import QueueActions
    from cxbridge.crm.sync import CrmSyncService


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """The parts of an SQS record the worker uses."""

    message_id: str
    receipt_handle: str
    body: str
    receive_count: int


@dataclass
class BatchOutcome:
    """Message ids to leave on the queue, and counts per action/reason for metrics."""

    keep: set[str]
    counts: Counter[str]


def run_batch(
    messages: Sequence[ReceivedMessage],
    sync: CrmSyncService,
    actions: QueueActions,
    remaining_ms: Callable[[], int] | None = None,
) -> BatchOutcome:
    """Decide and act on every message; what could not be acted on (or in ``remaining_ms``) stays on the queue."""
    items: list[SyncItem] = []
    outcome = BatchOutcome(set(), Counter())
    by_id = {m.message_id: m for m in messages}
    for m in messages:
        try:
            job = CrmJob.model_validate_json(m.body)
        except ValidationError:
            _dead_letter(m, "invalid-job", None, actions, outcome)
            continue
        items.append(SyncItem(m.message_id, job, m.receive_count))
    try:
        decisions = sync.sync(items, remaining_ms) if items else {}
    except TransientFailure:
        outcome.keep |= {i.message_id for i in items}  # e.g. DynamoDB unavailable: all come back later
        outcome.counts["retried"] += len(items)
        return outcome
    for item in items:
        m, decision = by_id[item.message_id], decisions[item.message_id]
        if decision.action is Action.DONE:
            outcome.counts["written" if decision.reason is None else "skipped"] += 1
        elif decision.action is Action.RETRY:
            outcome.keep.add(m.message_id)
            outcome.counts["retried"] += 1
            outcome.counts["throttled"] += decision.throttled
            outcome.counts["breaker_open"] += decision.reason == "breaker-open"
            outcome.counts["deferred"] += decision.reason == TIME_BUDGET
            with suppress(TransientFailure):  # it still comes back, after the queue's visibility timeout
                actions.delay(m.receipt_handle, decision.delay_s)
        else:
            _dead_letter(m, decision.reason or "unknown", item.job.conversationId, actions, outcome)
    return outcome


def _dead_letter(
    m: ReceivedMessage, reason: str, conversation_id: str | None, actions: QueueActions, outcome: BatchOutcome
) -> None:
    try:
        actions.dead_letter(m.body, reason, conversation_id)
    except TransientFailure:
        outcome.keep.add(m.message_id)  # not moved: keep it, SQS's own redrive is the backstop
        return
    outcome.counts["dead_lettered"] += 1
