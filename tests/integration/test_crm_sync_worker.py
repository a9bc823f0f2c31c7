"""The CRM-sync worker end to end: events in, jobs through SQS (moto), records in a Salesforce fake over HTTP."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from local.sqs_source import SqsEventSource
from scripts.build_events import api_gateway_event, route_of
from tests.builders import all_bodies, body
from tests.integration.conftest import stored

if TYPE_CHECKING:
    import pytest

    from local.sandboxes.salesforce import SalesforceSandbox
    from tests.integration.conftest import Stack


def ingest_all(stack: Stack, copies: int = 1) -> set[str]:
    conversations = set()
    for stem, data in sorted(all_bodies().items()) * copies:
        path, function = route_of(stem)
        assert stack.invoke(function, api_gateway_event(path, data))["statusCode"] == 202
        conversations.add((data["detail"]["eventBody"] if "detail" in data else data)["conversationId"])
    stack.relay()
    return conversations


def drain(stack: Stack, rounds: int = 50) -> None:
    source = SqsEventSource(stack.sqs, stack.queue_url, batch_size=200)
    for _ in range(rounds):
        if not source.poll(lambda event: stack.invoke("crm_sync_worker", event)):
            attrs = stack.sqs.get_queue_attributes(
                QueueUrl=stack.queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            if attrs["ApproximateNumberOfMessagesNotVisible"] == "0":
                return


def test_each_call_with_a_disposition_is_upserted_once_with_the_wrapup_name(
    stack: Stack, crm: SalesforceSandbox
) -> None:
    ingest_all(stack, copies=3)
    drain(stack)
    records = stored(crm)
    assert set(records) == {
        body("acw-a")["conversationId"],
        body("acw-b1")["detail"]["eventBody"]["conversationId"],
        "conv_abcde",
    }
    a = records[body("acw-a")["conversationId"]]
    assert a["Disposition__c"] == "Billing question"
    assert a["Duration_Seconds__c"] == round((251000 + 45000 + 90500) / 1000)
    assert records[body("acw-b1")["detail"]["eventBody"]["conversationId"]]["Disposition__c"] == "Sale closed"
    assert records["conv_abcde"]["Disposition__c"] == "Sale_Closed"
    assert crm.requests("upsert") == 1  # one Collections request for the whole batch
    item = stack.record(body("acw-a")["conversationId"])
    assert item is not None
    assert item["syncStatus"] == {"S": "synced"}


def test_a_record_the_crm_rejects_goes_to_the_dlq_with_its_reason(stack: Stack, crm: SalesforceSandbox) -> None:
    crm.configure(required_fields=["Agent__c"])  # the webhook call has an agent; make one without
    stack.invoke("ingest_call_completed", api_gateway_event(
        "/genesys/conversations/call-completed",
        {**body("call-completed"), "userId": None, "conversationId": "conv-no-agent"},
    ))  # fmt: skip
    stack.relay()
    drain(stack)
    dead = stack.sqs.receive_message(QueueUrl=stack.dlq_url, MessageAttributeNames=["All"], MaxNumberOfMessages=10).get(
        "Messages", []
    )
    assert [json.loads(m["Body"])["conversationId"] for m in dead] == ["conv-no-agent"]
    assert dead[0]["MessageAttributes"]["reason"]["StringValue"] == "REQUIRED_FIELD_MISSING"
    item = stack.record("conv-no-agent")
    assert item is not None
    assert item["syncStatus"] == {"S": "failed"}


def test_throttling_and_expiring_tokens_delay_but_lose_and_duplicate_nothing(
    stack: Stack, crm: SalesforceSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    crm.configure(throttle_ratio=0.4, expire_tokens_after=3)
    monkeypatch.setenv("CRM_BREAKER_THRESHOLD", "1000")  # the breaker's pause is covered by the unit tests
    conversations = [f"00000000-0000-4000-8000-{n:012d}" for n in range(40)]
    for cid in conversations * 2:  # every event delivered twice
        event = api_gateway_event("/genesys/conversations/acw", {**body("acw-a"), "conversationId": cid})
        assert stack.invoke("ingest_acw", event)["statusCode"] == 202
    stack.relay()
    source = SqsEventSource(stack.sqs, stack.queue_url, batch_size=10)
    for _ in range(300):
        source.poll(lambda event: stack.invoke("crm_sync_worker", event))
        if len(stored(crm)) == len(conversations):
            break
    assert sorted(stored(crm)) == conversations  # each exactly once (the fake keeps one row per key)
    assert crm.requests("upsert") > len(conversations) // 10  # some requests were throttled and retried
    assert crm.requests("token") >= 2  # expired tokens were renewed
    assert all(stack.record(cid)["syncStatus"] == {"S": "synced"} for cid in conversations)  # type: ignore[index]
