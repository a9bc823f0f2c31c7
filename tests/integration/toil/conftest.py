"""The toil functions on moto (tables and topic from the template) with the Genesys sandbox on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from local.sandboxes.genesys import GenesysSandbox
from local.toil_data import PLANTED, analytics_calls, put_call_records, wrapup_code_names

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from local.toil_data import SampleCall
    from tests.integration.conftest import Stack

SECRET = "cxbridge/genesys"


@dataclass
class ToilStack:
    """The emulated stack, the Genesys sandbox, and a queue subscribed to the candidates topic."""

    stack: Stack
    genesys: GenesysSandbox
    notices_url: str
    monkeypatch: pytest.MonkeyPatch

    def seed(self, calls: Iterable[SampleCall]) -> None:
        """The same calls into our call records and into Genesys Analytics."""
        calls = list(calls)
        put_call_records(self.stack.dynamodb, self.stack.resources.tables["CallRecordsTable"], calls)
        self.genesys.analytics.seed(analytics_calls(calls))

    def use_source(self, source: str) -> None:
        """Switch ``TOIL_SOURCE`` and forget the wired services, as a new deployment would."""
        from cxbridge.core import wiring

        self.monkeypatch.setenv("TOIL_SOURCE", source)
        wiring.reset()

    def notices(self) -> list[dict[str, Any]]:
        """Every SNS notice delivered so far (subject and parsed message), received and deleted."""
        sqs, found = self.stack.sqs, []
        while messages := sqs.receive_message(QueueUrl=self.notices_url, MaxNumberOfMessages=10).get("Messages"):
            for m in messages:
                envelope = json.loads(m["Body"])
                found.append({"subject": envelope["Subject"], **json.loads(envelope["Message"])})
                sqs.delete_message(QueueUrl=self.notices_url, ReceiptHandle=m["ReceiptHandle"])
        return found

    def stored(self, report_key: str, report_date: str) -> dict[str, Any] | None:
        """A stored report's item, its gzipped JSON document unpacked under ``report``."""
        item = self.stack.dynamodb.get_item(
            TableName=self.stack.resources.tables["ToilReportsTable"],
            Key={"reportKey": {"S": report_key}, "reportDate": {"S": report_date}},
        ).get("Item")
        if item is None:
            return None
        return {**item, "report": json.loads(gzip.decompress(item["report"]["B"]))}


@pytest.fixture
def toil(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[ToilStack]:
    with GenesysSandbox(wrapup_codes=wrapup_code_names(PLANTED), seed=6) as genesys:
        credentials = {"client_id": genesys.client_id, "client_secret": genesys.client_secret}
        boto3.client("secretsmanager").create_secret(Name=SECRET, SecretString=json.dumps(credentials))
        for name, value in stack.resources.function_environment("ToilDailyFunction").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("GENESYS_SECRET_NAME", SECRET)
        monkeypatch.setenv("GENESYS_BASE_URL", genesys.url)
        notices_url = stack.sqs.create_queue(QueueName="toil-notices")["QueueUrl"]
        notices_arn = stack.sqs.get_queue_attributes(QueueUrl=notices_url, AttributeNames=["QueueArn"])
        boto3.client("sns").subscribe(
            TopicArn=stack.resources.topic_arns["ToilCandidatesTopic"],
            Protocol="sqs",
            Endpoint=notices_arn["Attributes"]["QueueArn"],
        )
        yield ToilStack(stack, genesys, notices_url, monkeypatch)
