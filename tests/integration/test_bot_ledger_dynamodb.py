"""The durable bot ledger (DynamoDB, moto with the template's key schema): a failed work item's entry is taken
over once, with its attempts counted, and a claim never replaces it behind the worker's back."""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cxbridge.core.errors import TransientFailure
from cxbridge.crm.worker_state import DynamoBotDeploymentLedger

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.integration.conftest import Stack


def ledger(stack: Stack, clock: Callable[[], float] = lambda: 1_000.0) -> DynamoBotDeploymentLedger:
    table = stack.resources.tables["WorkerStateTable"]
    return DynamoBotDeploymentLedger(boto3.client("dynamodb"), table, "automation_anywhere", clock=clock)


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


class ChangesAfterRefusal:
    """A DynamoDB client on which another worker's write lands just after our claim's put was refused,
    before the refusing entry is read: the interleaving ``make faults`` hit with concurrent jobs of one call."""

    def __init__(self, client: Any, meanwhile: Callable[[], None]) -> None:
        self._client, self._meanwhile = client, meanwhile

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **kwargs: Any) -> Any:
        try:
            return self._client.put_item(**kwargs)
        except ClientError:
            meanwhile, self._meanwhile = self._meanwhile, lambda: None
            meanwhile()
            raise


def racing(stack: Stack, meanwhile: Callable[[], None]) -> DynamoBotDeploymentLedger:
    table = stack.resources.tables["WorkerStateTable"]
    client = ChangesAfterRefusal(boto3.client("dynamodb"), meanwhile)
    return DynamoBotDeploymentLedger(client, table, "automation_anywhere", clock=lambda: 2_000.0)


def test_a_claim_released_between_refusal_and_read_is_taken_not_assumed(stack: Stack) -> None:
    """The holder's deploy was throttled and it released its claim right after ours was refused: the
    claim used to answer None (held) with no entry written, so a third worker claimed and deployed the
    same content as well."""
    holder = ledger(stack)
    assert holder.claim("c-15", "v1") is None
    second = racing(stack, lambda: holder.release("c-15"))

    assert second.claim("c-15", "v1") is None
    entry = holder.get("c-15")
    assert entry is not None
    assert (entry.claimed_at, entry.content) == (2_000.0, "v1")  # the second worker's claim stands
    third = ledger(stack).claim("c-15", "v1")
    assert third is not None
    assert third.claimed_at == 2_000.0  # refused: nobody else deploys v1


def test_a_run_settled_between_refusal_and_read_lets_newer_content_claim(stack: Stack) -> None:
    """The older run's callback settled it right after our claim for newer content was refused: the
    settled entry used to be answered, and the sink took "settled" as "this content is in the CRM"."""
    holder = ledger(stack)
    assert holder.claim("c-16", "v1") is None
    holder.record_deployment("c-16", "d-v1", "v1")
    newer = racing(stack, lambda: holder.settle("c-16", "d-v1"))

    assert newer.claim("c-16", "v2") is None
    entry = holder.get("c-16")
    assert entry is not None
    assert (entry.content, entry.deployment_id, entry.settled) == ("v2", None, False)


def test_a_claim_that_keeps_changing_under_it_is_a_transient_failure() -> None:
    """Refused every time, and gone every time it is read: the worker retries the job later."""
    refused = ClientError({"Error": {"Code": "ConditionalCheckFailedException"}}, "PutItem")
    client = SimpleNamespace(put_item=lambda **_: (_ for _ in ()).throw(refused), get_item=lambda **_: {})
    unlucky = DynamoBotDeploymentLedger(client, "state", "automation_anywhere")

    with pytest.raises(TransientFailure, match="kept changing"):
        unlucky.claim("c-17", "v1")


def test_dropping_a_stale_claim_keeps_the_fresh_claim_another_worker_made_from_it(stack: Stack) -> None:
    """Two workers find one stale claim (no deployment id, no run created): the first drops it and claims
    again; the second's drop, from its own read of the stale claim, must leave that fresh claim, or both
    deploy the call."""
    now = [1_000.0]
    store = ledger(stack, clock=lambda: now[0])
    assert store.claim("c-9", "v1") is None  # a worker that crashed before recording its deployment
    stale = store.get("c-9")
    assert stale is not None
    now[0] = 1_200.0

    store.release("c-9", claimed_at=stale.claimed_at)  # the first worker
    assert store.claim("c-9", "v1") is None
    store.release("c-9", claimed_at=stale.claimed_at)  # the second, late

    fresh = store.get("c-9")
    assert fresh is not None
    assert fresh.claimed_at == 1_200.0
    assert store.claim("c-9", "v1") == fresh  # the second worker cannot claim: the first deploys alone


def test_a_stale_claim_an_older_release_wrote_without_its_time_can_be_dropped(stack: Stack) -> None:
    table = stack.resources.tables["WorkerStateTable"]
    store = ledger(stack)
    assert store.claim("c-10", "v1") is None
    key = {"pk": {"S": "bot#automation_anywhere#c-10"}}  # the entry as an older release wrote it
    boto3.client("dynamodb").update_item(TableName=table, Key=key, UpdateExpression="REMOVE claimedAt")
    old = store.get("c-10")
    assert old is not None
    assert old.claimed_at == 0

    store.release("c-10", claimed_at=old.claimed_at)

    assert store.get("c-10") is None
