"""AWS on moto, with the table and queues created from ``template.yaml``'s own definitions."""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from local.lambda_context import LocalContext
from local.resources import LocalResources, create_all
from local.sandboxes.genesys import GenesysSandbox
from local.sandboxes.salesforce import SalesforceSandbox
from local.streams import StreamPump

if TYPE_CHECKING:
    from collections.abc import Iterator

TABLE = "CallRecordsTable"  # the local stack names each resource by its logical id


@dataclass
class Stack:
    """Handles on the emulated resources and the handlers under test."""

    dynamodb: Any
    sqs: Any
    resources: LocalResources
    pump: StreamPump

    @property
    def queue_url(self) -> str:
        return self.resources.queue_urls["CrmSyncQueue"]

    @property
    def dlq_url(self) -> str:
        return self.resources.queue_urls["CrmSyncDeadLetterQueue"]

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        """Invoke ``functions/<function>/app.py`` in-process, as Lambda would."""
        module = importlib.import_module(f"functions.{function}.app")
        result: dict[str, Any] = module.lambda_handler(event, LocalContext(function_name=function))
        return result

    def relay(self) -> int:
        """Deliver the call-record stream to the outbox function."""
        return self.pump.pump(lambda event: self.invoke("crm_job_outbox", event))

    def queued_jobs(self) -> list[dict[str, Any]]:
        """Every CRM-sync job on the queue (received and deleted)."""
        import json

        jobs: list[dict[str, Any]] = []
        while True:
            resp = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = resp.get("Messages", [])
            if not messages:
                return jobs
            for m in messages:
                jobs.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])

    def record(self, conversation_id: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.dynamodb.get_item(
            TableName=TABLE, Key={"conversationId": {"S": conversation_id}}
        ).get("Item")
        return item


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        sqs = boto3.client("sqs")
        resources = create_all(dynamodb, sqs)
        for name, value in resources.function_environment("IngestAcwFunction").items():
            monkeypatch.setenv(name, value)
        pump = StreamPump(dynamodb, boto3.client("dynamodbstreams"), TABLE)
        yield Stack(dynamodb, sqs, resources, pump)


WRAPUP_NAMES = {
    "ad1b7e3c-6a2f-4d5e-9b8c-0f1e2d3c4b5a": "Billing question",
    "5e4d3c2b-1a09-4f8e-a7d6-c5b4a3928170": "Sale closed",
}
MAPPING = {
    "object": "Call_Log__c",
    "external_id_field": "CallReference__c",
    "fields": {"Disposition__c": "disposition", "Duration_Seconds__c": "handle_s", "Agent__c": "user_id"},
}


@pytest.fixture
def crm(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceSandbox]:
    with SalesforceSandbox(seed=1) as salesforce, GenesysSandbox(wrapup_codes=WRAPUP_NAMES, seed=1) as genesys:
        ssm, secrets = boto3.client("ssm"), boto3.client("secretsmanager")
        ssm.put_parameter(
            Name="/cxbridge/crm/config",
            Type="String",
            Value=json.dumps({"my_domain_url": salesforce.url, "mapping": MAPPING}),
        )
        creds = {"client_id": salesforce.client_id, "client_secret": salesforce.client_secret}
        secrets.create_secret(Name="cxbridge/crm", SecretString=json.dumps(creds))
        creds = {"client_id": genesys.client_id, "client_secret": genesys.client_secret}
        secrets.create_secret(Name="cxbridge/genesys", SecretString=json.dumps(creds))
        for name, value in stack.resources.function_environment("CrmSyncWorkerFunction").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("GENESYS_BASE_URL", genesys.url)
        monkeypatch.setenv("CRM_BACKOFF_BASE_S", "0.001")
        monkeypatch.setenv("CRM_BACKOFF_CAP_S", "0.001")
        yield salesforce


def stored(salesforce: SalesforceSandbox) -> dict[str, dict[str, Any]]:
    records: dict[str, dict[str, Any]] = salesforce.state()["records"].get("Call_Log__c", {})
    return records
