"""Settle a call whose CRM record an Automation Anywhere bot was deployed to write.

The Control Room calls back when the run ends. A completed run marks the call synced; a failed one
marks it failed, clears the ledger entry so a redriven job may deploy again, and dead-letters the job
with the bot's status as the reason (the operator's redrive is the retry).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxbridge.core.errors import RequestRejected, VersionConflict
from cxbridge.crm import callback_token
from cxbridge.crm.job import CrmJob

if TYPE_CHECKING:
    from cxbridge.core.keys import Keys
    from cxbridge.crm.ports import BotRunLedger, QueueActions, SyncStatusStore

COMPLETED = frozenset({"COMPLETED"})
FAILED = frozenset({"RUN_FAILED", "RUN_ABORTED", "RUN_TIMED_OUT", "DEPLOY_FAILED"})


class UnknownDeployment(LookupError):
    """A callback for a deployment we never made (or whose ledger entry expired)."""


class CallbackRefused(RequestRejected):
    """403: the token is not the one this deployment was given (or the deployment is not ours: the same
    answer, so a caller without a token learns nothing about which deployments exist)."""

    def __init__(self) -> None:
        super().__init__(403, "forbidden", "not a valid callback token for this deployment")


class BotCallbackService:
    def __init__(self, ledger: BotRunLedger, records: SyncStatusStore, queue: QueueActions, keys: Keys) -> None:
        self._ledger = ledger
        self._records = records
        self._queue = queue
        self._keys = keys

    def settle(self, deployment_id: str, status: str, token: str) -> str:
        """Apply a run's final status, if ``token`` is its deployment's; returns what was done (``synced``,
        ``failed`` or ``ignored``). Raises ``CallbackRefused`` before anything is read or written for a
        token that is not."""
        conversation_id = self._ledger.conversation_for(deployment_id)
        if conversation_id is None or not callback_token.valid(token, self._keys, conversation_id):
            raise CallbackRefused

        status = status.upper()
        if status in COMPLETED:
            for _ in range(3):  # an event may land between our read and our write
                record = self._records.current([conversation_id]).get(conversation_id)
                if record is None:
                    raise UnknownDeployment(deployment_id)
                try:
                    self._records.mark_synced(record, deployment_id)
                except VersionConflict:
                    continue
                return "synced"
            raise VersionConflict(conversation_id)
        if status in FAILED:
            record = self._records.current([conversation_id]).get(conversation_id)
            self._ledger.forget(conversation_id)
            self._records.mark_failed(conversation_id, f"bot:{status}")
            body = CrmJob.from_record(record).model_dump_json(exclude_none=True) if record else conversation_id
            self._queue.dead_letter(body, f"bot:{status}", conversation_id)
            return "failed"
        return "ignored"  # a progress report (RUNNING, QUEUED, ...): the final one follows
