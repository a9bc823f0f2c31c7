"""The bot callback settles only what the run was given: an older run never marks a newer record synced."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.record import CallRecord, SyncStatus, merge
from cxbridge.core.keys import Keys
from cxbridge.crm import callback_token
from cxbridge.crm.bot_callback import BotCallbackService, CallbackRefused
from cxbridge.crm.outcome import record_content
from tests.fakes.crm import InMemorySyncStatusStore
from tests.fakes.ledger import InMemoryBotDeploymentLedger

if TYPE_CHECKING:
    from cxbridge.crm.job import CrmJob

CID = "c-1"


def wrapped_up(code: str, at: int, base: CallRecord | None = None) -> CallRecord:
    event = CallEvent(EventKind.ACW, CID, "agent", at, user_id="u-1", wrapup_code_id=code)
    merged = merge(base, event).record
    return replace(merged, version=(base.version if base else 0) + 1)


class Queues:
    def __init__(self) -> None:
        self.jobs: list[CrmJob] = []
        self.dead: list[str] = []

    def send(self, job: CrmJob) -> None:
        self.jobs.append(job)

    def delay(self, receipt_handle: str, seconds: float) -> None:
        raise AssertionError("the callback never delays")

    def dead_letter(self, body: str, reason: str, conversation_id: str | None) -> None:
        self.dead.append(reason)


def deployed(ledger: InMemoryBotDeploymentLedger, record: CallRecord, deployment_id: str) -> None:
    assert ledger.claim(CID, record_content(record)) is None
    ledger.record_deployment(CID, deployment_id, record_content(record))


def setup(
    record: CallRecord,
) -> tuple[InMemoryBotDeploymentLedger, InMemorySyncStatusStore, Queues, BotCallbackService]:
    ledger, store, queues = InMemoryBotDeploymentLedger(), InMemorySyncStatusStore([record]), Queues()
    return ledger, store, queues, BotCallbackService(ledger, store, queues, queues)


def test_a_completed_run_for_the_current_content_marks_the_call_synced() -> None:
    v1 = wrapped_up("w-sale", 1_000)
    ledger, store, queues, service = setup(v1)
    deployed(ledger, v1, "d-1")

    assert service.settle("d-1", "COMPLETED") == "synced"
    assert store.records[CID].sync_status is SyncStatus.SYNCED
    assert queues.jobs == []


def test_a_disposition_changed_after_the_deploy_is_not_marked_synced_and_is_sent() -> None:
    """The review's lost update: the bot was given the old disposition; the record now holds a new one."""
    v1 = wrapped_up("w-sale", 1_000)
    ledger, store, queues, service = setup(v1)
    deployed(ledger, v1, "d-1")
    store.records[CID] = wrapped_up("w-billing", 2_000, v1)  # the agent changed the wrap-up

    assert service.settle("d-1", "COMPLETED") == "superseded"
    assert store.records[CID].sync_status is SyncStatus.PENDING
    assert [j.wrapupCodeId for j in queues.jobs] == ["w-billing"]
    entry = ledger.get(CID)
    assert entry is not None
    assert entry.settled  # the older run has ended: the newer content may deploy
    assert ledger.claim(CID, record_content(store.records[CID])) is None


def test_a_late_callback_for_an_older_deployment_changes_nothing_but_queues_the_record() -> None:
    v1 = wrapped_up("w-sale", 1_000)
    ledger, store, queues, service = setup(v1)
    deployed(ledger, v1, "d-1")
    ledger.settle(CID, "d-1")
    v2 = wrapped_up("w-billing", 2_000, v1)
    store.records[CID] = v2
    deployed(ledger, v2, "d-2")

    assert service.settle("d-1", "COMPLETED") == "superseded"
    assert service.settle("d-1", "RUN_FAILED") == "superseded"
    assert store.records[CID].sync_status is SyncStatus.PENDING
    assert queues.dead == []
    assert service.settle("d-2", "COMPLETED") == "synced"


def test_a_failed_run_for_the_current_content_is_dead_lettered_and_forgotten() -> None:
    v1 = wrapped_up("w-sale", 1_000)
    ledger, store, queues, service = setup(v1)
    deployed(ledger, v1, "d-1")

    assert service.settle("d-1", "RUN_FAILED") == "failed"
    assert queues.dead == ["bot:RUN_FAILED"]
    assert store.records[CID].sync_status is SyncStatus.FAILED
    assert ledger.get(CID) is None


def test_a_callback_settles_only_with_its_deployments_token_and_the_previous_key_still_counts() -> None:
    v1 = wrapped_up("w-sale", 1_000)
    ledger, store = InMemoryBotDeploymentLedger(), InMemorySyncStatusStore([v1])
    queues = Queues()
    old, new = b"o" * 32, b"n" * 32
    service = BotCallbackService(ledger, store, queues, queues, keys=Keys(new, previous=old))
    deployed(ledger, v1, "d-1")

    for token in ("", callback_token.sign(b"x" * 32, CID), callback_token.sign(new, "another-call")):
        with pytest.raises(CallbackRefused):
            service.settle_callback("d-1", "COMPLETED", token)
    with pytest.raises(CallbackRefused):  # an unknown deployment answers the same
        service.settle_callback("d-9", "COMPLETED", callback_token.sign(new, CID))
    assert store.records[CID].sync_status is SyncStatus.PENDING

    assert service.settle_callback("d-1", "COMPLETED", callback_token.sign(old, CID)) == "synced"


def test_without_keys_every_callback_is_refused() -> None:
    v1 = wrapped_up("w-sale", 1_000)
    ledger, _, _, service = setup(v1)
    deployed(ledger, v1, "d-1")

    with pytest.raises(CallbackRefused):
        service.settle_callback("d-1", "COMPLETED", callback_token.sign(b"k" * 32, CID))


def test_an_entry_claimed_before_contents_were_recorded_settles_as_before() -> None:
    v1 = wrapped_up("w-sale", 1_000)
    ledger, store, queues, service = setup(v1)
    assert ledger.claim(CID, "") is None  # what a pre-upgrade entry reads as
    ledger.record_deployment(CID, "d-1", "")

    assert service.settle("d-1", "COMPLETED") == "synced"
    assert store.records[CID].sync_status is SyncStatus.SYNCED
    assert queues.jobs == []
