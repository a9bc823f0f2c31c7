"""Settle a call whose CRM record an Automation Anywhere bot was deployed to write.

The Control Room calls back when the run ends. A completed run marks the call synced, but only if the
record still holds the content that run was given (the ledger keeps it); otherwise the newer content is
queued to be sent. A failed run marks the call failed, clears the ledger entry so a redriven job may
deploy again, and dead-letters the job with the bot's status as the reason (the operator's redrive is
the retry), unless the record has moved on, whose newer content is then queued instead. A callback for
a run older than the conversation's latest deployment changes nothing but queues the record.

A work item (the WLM mode, issue 16; its ledger id is ``work_queue.work_item_ref``) that failed is
retried instead: the entry is marked failed with the bot's reason and the record queued again; the
worker adds a new item, or dead-letters the job with that reason once the item's attempts are used up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxbridge.calls.record import SyncStatus
from cxbridge.core.errors import RequestRejected, VersionConflict
from cxbridge.crm import callback_token
from cxbridge.crm.job import CrmJob
from cxbridge.crm.outcome import RUN_COMPLETED, RUN_FAILED, record_content
from cxbridge.crm.work_queue import bot_reason, parse_ref

if TYPE_CHECKING:
    from cxbridge.calls.record import CallRecord
    from cxbridge.core.keys import Keys
    from cxbridge.crm.outcome import LedgerEntry
    from cxbridge.crm.ports import BotRunLedger, JobQueue, QueueActions, SyncStatusStore


class UnknownDeployment(LookupError):
    """A callback for a deployment we never made (or whose ledger entry expired)."""


class CallbackRefused(RequestRejected):
    """403: the token is not the one this deployment was given (or the deployment is not ours: the same
    answer, so a caller without a token learns nothing about which deployments exist)."""

    def __init__(self) -> None:
        super().__init__(403, "forbidden", "not a valid callback token for this deployment")


class BotCallbackService:
    def __init__(
        self,
        ledger: BotRunLedger,
        records: SyncStatusStore,
        queue: QueueActions,
        jobs: JobQueue,
        *,
        keys: Keys | None = None,
    ) -> None:
        """``keys`` check the callbacks' tokens; without them (the reconciler, which asks the Control Room
        itself) every callback is refused."""
        self._ledger = ledger
        self._records = records
        self._queue = queue
        self._jobs = jobs
        self._keys = keys

    def settle_callback(self, deployment_id: str, status: str, token: str, result: str | None = None) -> str:
        """A callback's result, applied only if ``token`` is its deployment's; raises ``CallbackRefused``
        before anything is read or written for one that is not."""
        conversation_id = self._ledger.conversation_for(deployment_id)
        if (
            conversation_id is None
            or self._keys is None
            or not callback_token.valid(token, self._keys, conversation_id)
        ):
            raise CallbackRefused
        return self.settle(deployment_id, status, result)

    def settle(self, deployment_id: str, status: str, result: str | None = None) -> str:
        """Apply a run's final status (as the Control Room reports it; ``result`` is a work item's, the
        bot's reason); returns what was done (``synced``, ``failed``, ``retried``, ``superseded`` or
        ``ignored``)."""
        conversation_id = self._ledger.conversation_for(deployment_id)
        if conversation_id is None:
            raise UnknownDeployment(deployment_id)
        status = status.upper()
        if status not in RUN_COMPLETED and status not in RUN_FAILED:
            return "ignored"  # a progress report (RUNNING, QUEUED, ...): the final one follows
        entry = self._ledger.get(conversation_id)
        if entry is None or entry.deployment_id != deployment_id:  # a newer deployment holds the call
            return self._supersede(self._records.current([conversation_id]).get(conversation_id))
        if status in RUN_COMPLETED:
            self._ledger.settle(conversation_id, deployment_id)
            for _ in range(3):  # an event may land between our read and our write
                record = self._records.current([conversation_id]).get(conversation_id)
                if record is None:
                    raise UnknownDeployment(deployment_id)
                if not entry.holds(record_content(record)):
                    return self._supersede(record)
                try:
                    self._records.mark_synced(record, deployment_id)
                except VersionConflict:
                    continue
                return "synced"
            raise VersionConflict(conversation_id)
        return self._failed(entry, deployment_id, status, result)

    def _failed(self, entry: LedgerEntry, deployment_id: str, status: str, result: str | None) -> str:
        conversation_id = entry.conversation_id
        record = self._records.current([conversation_id]).get(conversation_id)
        if record is not None and not entry.holds(record_content(record)):
            self._ledger.forget(conversation_id, deployment_id)
            return self._supersede(record)
        if parse_ref(deployment_id) is not None:  # a work item: the worker adds a new one, or dead-letters
            self._ledger.fail(conversation_id, deployment_id, bot_reason(status, result))
            if record is not None and record.sync_status is SyncStatus.PENDING and record.disposition is not None:
                self._jobs.send(CrmJob.from_record(record))
            return "retried"
        self._ledger.forget(conversation_id, deployment_id)
        self._records.mark_failed(conversation_id, f"bot:{status}")
        body = CrmJob.from_record(record).model_dump_json(exclude_none=True) if record else conversation_id
        self._queue.dead_letter(body, f"bot:{status}", conversation_id)
        return "failed"

    def _supersede(self, record: CallRecord | None) -> str:
        """The run was for older content: queue the record's current content, unless it is settled."""
        if record is not None and record.sync_status is SyncStatus.PENDING and record.disposition is not None:
            self._jobs.send(CrmJob.from_record(record))
        return "superseded"
