"""AWS on moto, with the table and queues created from ``template.yaml``'s own definitions."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from local.lambda_context import LocalContext
from local.streams import StreamPump
from local.template import create_table

if TYPE_CHECKING:
    from collections.abc import Iterator

TABLE = "CallRecords"


@dataclass
class Stack:
    """Handles on the emulated resources and the handlers under test."""

    dynamodb: Any
    sqs: Any
    queue_url: str
    dlq_url: str
    pump: StreamPump

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
        create_table(dynamodb, "CallRecordsTable", TABLE)
        dlq_url = sqs.create_queue(QueueName="crm-sync-dlq")["QueueUrl"]
        queue_url = sqs.create_queue(QueueName="crm-sync")["QueueUrl"]
        monkeypatch.setenv("CALL_RECORDS_TABLE", TABLE)
        monkeypatch.setenv("CRM_SYNC_QUEUE_URL", queue_url)
        monkeypatch.setenv("MAX_BODY_BYTES", "262144")
        pump = StreamPump(dynamodb, boto3.client("dynamodbstreams"), TABLE)
        yield Stack(dynamodb, sqs, queue_url, dlq_url, pump)
