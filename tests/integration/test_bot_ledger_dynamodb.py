"""The durable bot ledger (DynamoDB, moto with the template's key schema): a failed work item's entry is taken
over once, with its attempts counted, and a claim never replaces it behind the worker's back."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3

from cxbridge.crm.worker_state import DynamoBotDeploymentLedger

if TYPE_CHECKING:
    from tests.integration.conftest import Stack


def ledger(stack: Stack) -> DynamoBotDeploymentLedger:
    table = stack.resources.tables["WorkerStateTable"]
    return DynamoBotDeploymentLedger(boto3.client("dynamodb"), table, "automation_anywhere", clock=lambda: 1_000.0)


def test_a_failed_item_is_taken_over_once_with_its_attempts_and_reason(stack: Stack) -> None:
    one, other = ledger(stack), ledger(stack)
    assert one.claim("c-1", "v1") is None
    one.record_deployment("c-1", "wlm:12:7", "v1")
    one.fail("c-1", "wlm:12:7", "bot:FAILED:crm.locked")

    failed = one.claim("c-1", "v1")  # refused: the failed entry is returned, unchanged
    assert failed is not None
    assert (failed.failed, failed.attempts, failed.reason, failed.deployment_id) == (
        True,
        1,
        "bot:FAILED:crm.locked",
        "wlm:12:7",
    )
    assert one.reclaim(failed, "v1", failed.attempts + 1)
    assert not other.reclaim(failed, "v1", failed.attempts + 1)  # the second worker lost the race

    entry = one.get("c-1")
    assert entry is not None
    assert (entry.failed, entry.attempts, entry.deployment_id, entry.reason) == (False, 2, None, None)


def test_a_failure_for_another_item_changes_nothing(stack: Stack) -> None:
    store = ledger(stack)
    assert store.claim("c-2", "v1") is None
    store.record_deployment("c-2", "wlm:12:8", "v1")

    store.fail("c-2", "wlm:12:1", "bot:FAILED")

    entry = store.get("c-2")
    assert entry is not None
    assert not entry.failed
    assert store.conversation_for("wlm:12:8") == "c-2"


def test_a_run_whose_claim_was_released_meanwhile_creates_no_entry(stack: Stack) -> None:
    """The race ``make faults`` found: a slow deploy's answer arrives after another worker released the
    claim as unrecorded; the late id used to create an entry without a claim, and every later claim of the
    call crashed the worker's whole batch."""
    slow, other = ledger(stack), ledger(stack)
    assert slow.claim("c-3", "v1") is None
    other.release("c-3")  # no run seen in the Control Room: the other worker deploys again
    slow.record_deployment("c-3", "d-late", "v1")

    assert slow.get("c-3") is None
    assert other.claim("c-3", "v1") is None
    assert other.conversation_for("d-late") == "c-3"  # its callback still finds the call, and queues it


def test_a_late_run_is_not_attached_to_a_newer_claim_for_other_content(stack: Stack) -> None:
    slow, other = ledger(stack), ledger(stack)
    assert slow.claim("c-4", "v1") is None
    other.release("c-4")
    assert other.claim("c-4", "v2") is None
    slow.record_deployment("c-4", "d-v1", "v1")
    other.record_deployment("c-4", "d-v2", "v2")

    entry = other.get("c-4")
    assert entry is not None
    assert (entry.deployment_id, entry.content) == ("d-v2", "v2")


def test_forgetting_a_failed_run_keeps_a_newer_claim(stack: Stack) -> None:
    store = ledger(stack)
    assert store.claim("c-5", "v1") is None
    store.record_deployment("c-5", "d-1", "v1")
    store.forget("c-5", "d-1")
    assert store.claim("c-5", "v2") is None
    store.record_deployment("c-5", "d-2", "v2")

    store.forget("c-5", "d-1")  # the old run's failure, reported twice

    entry = store.get("c-5")
    assert entry is not None
    assert entry.deployment_id == "d-2"
