"""The local stack's faster moto keeps moto's answers: retention still applies, services still resolve."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from moto import backends, mock_aws
from moto.sqs.models import SQSBackend, sqs_backends

from local.moto_speed import make_moto_faster

if TYPE_CHECKING:
    import pytest


def test_receive_delivers_fresh_messages_and_drops_those_past_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    make_moto_faster()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="jobs", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="fresh")
        sqs.send_message(QueueUrl=url, MessageBody="old")
        old: Any = sqs_backends["123456789012"]["us-east-1"].get_queue("jobs")._messages[-1]
        old.sent_timestamp -= 61_000  # sent 61 s ago: past the queue's 60 s retention

        def no_attribute_map(*_: object) -> None:
            raise AssertionError("receive built the queue's attribute map")

        monkeypatch.setattr(SQSBackend, "get_queue_attributes", no_attribute_map)
        bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]

    assert bodies == ["fresh"]


def test_the_module_list_is_read_once_and_names_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    make_moto_faster()
    listed = set(backends.list_of_moto_modules())

    def no_listing(_: str) -> list[str]:
        raise AssertionError("moto's directory was listed again")

    monkeypatch.setattr("os.listdir", no_listing)
    assert {"dynamodb", "dynamodbstreams", "sqs", "stepfunctions"} <= listed
    assert set(backends.list_of_moto_modules()) == listed
