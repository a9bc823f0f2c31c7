"""AWS on moto, with the table and queues created from ``template.yaml``'s own definitions."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from local.lambda_context import LocalContext
from local.resources import LocalResources, create_all
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
