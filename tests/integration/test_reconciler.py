"""The reconciler against the call-records table on moto: a job lost with its record pending comes back once."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import boto3

from cxbridge.calls.store import DynamoSyncStatusStore
from cxbridge.core.sqs import SqsQueue
from cxbridge.crm.reconciler import Reconciler
from scripts.build_events import api_gateway_event
from tests.builders import body
from tests.integration.conftest import TABLE, stored
from tests.integration.test_crm_sync_worker import drain

if TYPE_CHECKING:
    from local.sandboxes.salesforce import SalesforceSandbox
    from tests.integration.conftest import Stack

WORST_CASE_S = 600.0


def lost_job(stack: Stack, cid: str) -> None:
    """A call wrapped up now whose job then left the queue unprocessed (a redrive gone wrong, a purge)."""
    data = {**body("acw-a"), "conversationId": cid, "eventTime": int(time.time() * 1000)}
    assert stack.invoke("ingest_acw", api_gateway_event("/genesys/conversations/acw", data))["statusCode"] == 202
    stack.relay()
    assert [j["conversationId"] for j in stack.queued_jobs()] == [cid]  # received and deleted: gone


def reconciler(stack: Stack, later_s: float) -> Reconciler:
    return Reconciler(
        DynamoSyncStatusStore(stack.dynamodb, TABLE),
        SqsQueue(stack.sqs, stack.queue_url),
        worst_case_s=WORST_CASE_S,
        clock=lambda: time.time() + later_s,
    )


def test_a_record_whose_job_was_lost_is_requeued_once_and_reaches_the_crm(stack: Stack, crm: SalesforceSandbox) -> None:
    lost_job(stack, "00000000-0000-4000-8000-000000000101")

    too_early = reconciler(stack, later_s=60).run()
    passes = [reconciler(stack, later_s=WORST_CASE_S + 60).run() for _ in range(2)]

    assert too_early.stranded == 0
    assert [(p.stranded, p.requeued) for p in passes] == [(1, 1), (0, 0)]
    drain(stack)
    assert list(stored(crm)) == ["00000000-0000-4000-8000-000000000101"]
    item = stack.record("00000000-0000-4000-8000-000000000101")
    assert item is not None
    assert item["syncStatus"] == {"S": "synced"}


def test_the_scheduled_function_reports_what_it_found(stack: Stack, crm: SalesforceSandbox) -> None:
    lost_job(stack, "00000000-0000-4000-8000-000000000102")
    result = stack.invoke("crm_reconciler", {"source": "aws.events", "detail-type": "Scheduled Event"})
    assert result == {"stranded": 0, "settled": 0, "requeued": 0, "relinked": 0}  # pending for seconds
    assert (
        boto3.client("sqs").get_queue_attributes(
            QueueUrl=stack.queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]["ApproximateNumberOfMessages"]
        == "0"
    )
