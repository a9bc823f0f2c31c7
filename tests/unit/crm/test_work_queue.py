"""Automation Anywhere WLM, the pure part and the settle rules: what a work item holds, how its answer is
read, and what a failed item's callback does (retried, never dead-lettered at once)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.record import CallRecord, SyncStatus, merge
from cxbridge.crm.bot_callback import BotCallbackService
from cxbridge.crm.outcome import CrmOutcome, MappingError, record_content
from cxbridge.crm.work_queue import (
    WorkQueueMapping,
    add_body,
    bot_reason,
    item_ids,
    parse_ref,
    work_item_json,
    work_item_ref,
)
from tests.fakes.crm import InMemorySyncStatusStore
from tests.fakes.ledger import InMemoryBotDeploymentLedger
from tests.unit.crm.test_bot_callback_service import Queues

MAPPING = WorkQueueMapping(queue_id=12, work_item={"conversationId": "conversation_id", "handleSeconds": "handle_s"})
CID = "c-1"


def test_a_work_item_holds_the_mapped_values_plain_and_the_token_and_leaves_out_missing_ones() -> None:
    outcome = CrmOutcome(CID, disposition="Sale", handle_s=None)
    with_handle = replace(outcome, handle_s=42)

    assert work_item_json(MAPPING, outcome, "tok") == {"conversationId": CID, "cxbCallbackToken": "tok"}
    assert work_item_json(MAPPING, with_handle, None) == {"conversationId": CID, "handleSeconds": 42}
    no_token = MAPPING.model_copy(update={"callback_token_attribute": None})
    assert work_item_json(no_token, with_handle, "tok") == {"conversationId": CID, "handleSeconds": 42}


def test_a_mapping_naming_no_outcome_attribute_fails_loudly() -> None:
    bad = WorkQueueMapping(queue_id=12, work_item={"x": "phone_number"})
    with pytest.raises(MappingError):
        work_item_json(bad, CrmOutcome(CID), None)


def test_many_work_items_go_in_one_body() -> None:
    assert add_body([{"a": 1}, {"a": 2}]) == {"workItems": [{"json": {"a": 1}}, {"json": {"a": 2}}]}


def test_a_work_item_ref_round_trips_and_a_deployment_id_is_not_one() -> None:
    assert parse_ref(work_item_ref(12, 345)) == ("12", "345")
    assert parse_ref("14c2b6f8-0000-4000-8000-000000000000") is None
    assert parse_ref("wlm:12:") is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"list": [{"id": 1}, {"id": "2"}]}, ["1", "2"]),
        ([{"id": 1}, {"id": 2}], ["1", "2"]),
        ({"workItems": [{"id": 1}, {"id": 2}]}, ["1", "2"]),
        ({"list": [{"id": 1}]}, None),  # one id for two items: whose?
        ({"list": [{"id": 1}, {"id": True}]}, None),
        ({"list": [{"id": 1}, {}]}, None),
        ({"message": "ok"}, None),
        (None, None),
    ],
)
def test_the_add_answer_gives_one_id_per_item_sent_or_nothing(body: object, expected: list[str] | None) -> None:
    assert item_ids(body, 2) == expected


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (None, "bot:FAILED"),
        ("crm.locked", "bot:FAILED:crm.locked"),
        (" E_TIMEOUT ", "bot:FAILED:E_TIMEOUT"),
        ("CRM login failed for Jane", "bot:FAILED"),  # free text
        ("call-5550100", "bot:FAILED"),  # could be a number the caller gave
        ("x" * 500, "bot:FAILED"),
        ("   ", "bot:FAILED"),
        ("1234", "bot:FAILED"),
    ],
)
def test_the_bots_result_is_kept_only_when_it_is_a_code(result: str | None, reason: str) -> None:
    assert bot_reason("failed", result) == reason


# ---- settle rules --------------------------------------------------------------------------------


def record(code: str = "w-sale", at: int = 1_000) -> CallRecord:
    event = CallEvent(EventKind.ACW, CID, "agent", at, user_id="u-1", wrapup_code_id=code)
    return replace(merge(None, event).record, version=1)


def added(ledger: InMemoryBotDeploymentLedger, rec: CallRecord, item: str) -> str:
    assert ledger.claim(CID, record_content(rec)) is None
    ref = work_item_ref(12, item)
    ledger.record_deployment(CID, ref, record_content(rec))
    return ref


def test_a_completed_work_item_marks_the_call_synced() -> None:
    rec = record()
    ledger, store, queues = InMemoryBotDeploymentLedger(), InMemorySyncStatusStore([rec]), Queues()
    ref = added(ledger, rec, "7")

    assert BotCallbackService(ledger, store, queues, queues).settle(ref, "COMPLETED") == "synced"
    assert store.records[CID].sync_status is SyncStatus.SYNCED
    assert (queues.jobs, queues.dead) == ([], [])


def test_a_failed_work_item_is_retried_with_the_bots_reason_kept_not_dead_lettered() -> None:
    rec = record()
    ledger, store, queues = InMemoryBotDeploymentLedger(), InMemorySyncStatusStore([rec]), Queues()
    ref = added(ledger, rec, "7")

    assert BotCallbackService(ledger, store, queues, queues).settle(ref, "FAILED", "crm.locked") == "retried"
    entry = ledger.get(CID)
    assert entry is not None
    assert (entry.failed, entry.reason, entry.attempts) == (True, "bot:FAILED:crm.locked", 1)
    assert [j.conversationId for j in queues.jobs] == [CID]
    assert queues.dead == []
    assert store.records[CID].sync_status is SyncStatus.PENDING


def test_a_failed_deployment_is_still_dead_lettered_at_once() -> None:
    rec = record()
    ledger, store, queues = InMemoryBotDeploymentLedger(), InMemorySyncStatusStore([rec]), Queues()
    assert ledger.claim(CID, record_content(rec)) is None
    ledger.record_deployment(CID, "d-1", record_content(rec))

    assert BotCallbackService(ledger, store, queues, queues).settle("d-1", "RUN_FAILED") == "failed"
    assert queues.dead == ["bot:RUN_FAILED"]
    assert ledger.get(CID) is None


def test_a_failed_work_item_for_older_content_queues_the_new_content_with_a_fresh_entry() -> None:
    old = record("w-sale", 1_000)
    ledger, store, queues = InMemoryBotDeploymentLedger(), InMemorySyncStatusStore([old]), Queues()
    ref = added(ledger, old, "7")
    new = replace(merge(old, CallEvent(EventKind.ACW, CID, "agent", 2_000, wrapup_code_id="w-lost")).record, version=2)
    store.records[CID] = new

    assert BotCallbackService(ledger, store, queues, queues).settle(ref, "FAILED") == "superseded"
    assert ledger.get(CID) is None
    assert [j.recordVersion for j in queues.jobs] == [2]


def test_a_deferred_work_item_changes_nothing() -> None:
    rec = record()
    ledger, store, queues = InMemoryBotDeploymentLedger(), InMemorySyncStatusStore([rec]), Queues()
    ref = added(ledger, rec, "7")

    assert BotCallbackService(ledger, store, queues, queues).settle(ref, "DEFERRED") == "ignored"
    entry = ledger.get(CID)
    assert entry is not None
    assert not entry.failed
