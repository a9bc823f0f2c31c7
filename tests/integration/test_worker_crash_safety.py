"""A worker killed mid-batch (after the CRM call, before the delete) loses nothing and duplicates nothing."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from cxbridge.calls.store import DynamoSyncStatusStore
from local.sqs_source import SqsEventSource
from scripts.build_events import api_gateway_event
from tests.builders import body
from tests.integration.conftest import stored

if TYPE_CHECKING:
    from local.sandboxes.salesforce import SalesforceSandbox
    from tests.integration.conftest import Stack

CONVERSATIONS = [f"00000000-0000-4000-8000-{n:012d}" for n in range(12)]


class Killed(RuntimeError):
    """The invocation dying at this point (a timeout, the runtime killed): its batch is not acknowledged."""


def enqueue(stack: Stack) -> None:
    for cid in CONVERSATIONS:
        event = api_gateway_event("/genesys/conversations/acw", {**body("acw-a"), "conversationId": cid})
        assert stack.invoke("ingest_acw", event)["statusCode"] == 202
    stack.relay()
    stack.sqs.set_queue_attributes(QueueUrl=stack.queue_url, Attributes={"VisibilityTimeout": "1"})


def run_until_drained(stack: Stack, source: SqsEventSource) -> None:
    for _ in range(20):
        source.poll(lambda event: stack.invoke("crm_sync_worker", event))
        attrs = stack.sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["All"])["Attributes"]
        if attrs["ApproximateNumberOfMessages"] == attrs["ApproximateNumberOfMessagesNotVisible"] == "0":
            return
        time.sleep(1.1)  # the crashed batch's visibility timeout
    pytest.fail("queue did not drain")


@pytest.mark.parametrize("crash_point", ["after_crm_write", "after_marking_synced"])
def test_a_crash_after_the_crm_call_is_redelivered_and_settled_once(
    stack: Stack, crm: SalesforceSandbox, monkeypatch: pytest.MonkeyPatch, crash_point: str
) -> None:
    enqueue(stack)
    # Die at the first mark (CRM written, nothing marked) or after the last (all marked, none deleted).
    marks = {"n": 0, "crashed": False}
    original = DynamoSyncStatusStore.mark_synced

    def dying(self: DynamoSyncStatusStore, record: Any, crm_id: str | None, contact_linked: bool | None = None) -> None:
        marks["n"] += 1
        if crash_point == "after_marking_synced":
            original(self, record, crm_id, contact_linked)
        last = marks["n"] == len(CONVERSATIONS)
        if not marks["crashed"] and (crash_point == "after_crm_write" or last):
            marks["crashed"] = True
            raise Killed
        if crash_point == "after_crm_write":
            original(self, record, crm_id, contact_linked)

    monkeypatch.setattr(DynamoSyncStatusStore, "mark_synced", dying)
    source = SqsEventSource(stack.sqs, stack.queue_url, batch_size=50)
    run_until_drained(stack, source)
    assert source.crashes == 1
    assert sorted(stored(crm)) == sorted(CONVERSATIONS)  # nothing lost, one row per conversation
    for cid in CONVERSATIONS:
        item = stack.record(cid)
        assert item is not None
        assert item["syncStatus"] == {"S": "synced"}
    # the redelivered batch was written again only if the crash came before the mark
    assert crm.requests("upsert") == (2 if crash_point == "after_crm_write" else 1)
