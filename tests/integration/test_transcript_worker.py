"""The transcript worker in-process on moto, against the Genesys and Salesforce sandboxes (issue 17)."""

from __future__ import annotations

import base64
import json
import time
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from cxbridge.transcripts.models import TranscriptJob
from local.sandboxes.genesys import GenesysSandbox
from local.sandboxes.genesys_transcripts import PLANTED_PII
from local.sandboxes.salesforce import SalesforceSandbox
from tests.pii import captured

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.integration.conftest import Stack

CID = "6c7a3f4e-2b1d-4c8e-9f10-1a2b3c4d5e01"
RECORD_ID = "a00000000000042AAA"
MAPPING = {"object": "Call_Log__c", "external_id_field": "CallReference__c", "fields": {}}


@pytest.fixture
def sandboxes(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SalesforceSandbox, GenesysSandbox]]:
    with SalesforceSandbox(seed=1) as salesforce, GenesysSandbox(seed=1) as genesys:
        ssm, secrets = boto3.client("ssm"), boto3.client("secretsmanager")
        connection = {"my_domain_url": salesforce.url, "mapping": MAPPING}
        ssm.put_parameter(Name="/cxbridge/crm/config", Type="String", Value=json.dumps(connection))
        creds = {"client_id": salesforce.client_id, "client_secret": salesforce.client_secret}
        secrets.create_secret(Name="cxbridge/crm", SecretString=json.dumps(creds))
        creds = {"client_id": genesys.client_id, "client_secret": genesys.client_secret}
        secrets.create_secret(Name="cxbridge/genesys", SecretString=json.dumps(creds))
        for name, value in stack.resources.function_environment("TranscriptWorkerFunction").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("GENESYS_BASE_URL", genesys.url)
        salesforce.records["Call_Log__c"] = {CID: {"Id": RECORD_ID, "CallReference__c": CID}}
        yield salesforce, genesys


def queue_url(stack: Stack) -> str:
    return stack.resources.queue_urls["TranscriptQueue"]


def send_job(stack: Stack, copies: int) -> None:
    now = int(time.time() * 1000)
    job = TranscriptJob(conversationId=CID, endedAt=now - 60_000, queuedAt=now, mediaType="VOICE")
    for _ in range(copies):
        stack.sqs.send_message(QueueUrl=queue_url(stack), MessageBody=job.model_dump_json())


def received(stack: Stack) -> dict[str, Any]:
    """What the SQS event source would hand the worker: every visible message, with its receive count."""
    messages = []
    while got := stack.sqs.receive_message(
        QueueUrl=queue_url(stack), MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=30
    ).get("Messages", []):
        messages += got
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {"ApproximateReceiveCount": m["Attributes"]["ApproximateReceiveCount"]},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
        }
        for m in messages
    ]
    return {"Records": records}


def test_three_deliveries_give_the_call_one_redacted_note_and_no_pii_in_logs(
    stack: Stack, sandboxes: tuple[SalesforceSandbox, GenesysSandbox]
) -> None:
    salesforce, _ = sandboxes
    send_job(stack, 3)
    event = received(stack)
    answers: list[dict[str, Any]] = []
    logs = captured(lambda: answers.append(stack.invoke("transcript_worker", event)))
    logs += captured(lambda: answers.append(stack.invoke("transcript_worker", event)))  # the batch again
    assert answers == [{"batchItemFailures": []}] * 2
    records = salesforce.state()["records"]
    assert len(records["ContentNote"]) == 1 and len(records["ContentDocumentLink"]) == 1
    text = base64.b64decode(next(iter(records["ContentNote"].values()))["Content"]).decode()
    assert "Customer: my number is ***" in text
    for pii in PLANTED_PII:
        assert pii not in text
        assert pii not in logs
    item = stack.dynamodb.get_item(TableName="TranscriptsTable", Key={"conversationId": {"S": CID}})["Item"]
    assert (item["state"]["S"], item["phrases"]["N"]) == ("attached", "7")
    assert set(item) == {"conversationId", "state", "phrases", "truncated", "updatedAt", "expiresAt"}


def test_a_transcript_not_there_yet_stays_on_the_queue_hidden_for_a_while(
    stack: Stack, sandboxes: tuple[SalesforceSandbox, GenesysSandbox]
) -> None:
    salesforce, genesys = sandboxes
    genesys.configure(transcript_delay_s=3_600)
    send_job(stack, 1)
    event = received(stack)
    answer = stack.invoke("transcript_worker", event)
    assert answer == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    assert "ContentNote" not in salesforce.state()["records"]
    assert received(stack)["Records"] == []  # hidden for its wait, not visible again at once
    attrs = stack.sqs.get_queue_attributes(QueueUrl=queue_url(stack), AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
