"""The local stack's dead-letter count: what `make faults` and `make demo` call lost depends on it."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws

from cxbridge_cli.queues import peek_all


def test_every_dead_letter_is_read_and_left_in_the_queue() -> None:
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        for n in range(25):  # more than one receive returns: a peek with visibility 0 saw only ten
            body = json.dumps({"conversationId": f"c-{n}"})
            reason = f"retries-exhausted:{n % 2}"
            sqs.send_message(
                QueueUrl=url,
                MessageBody=body,
                MessageAttributes={"reason": {"DataType": "String", "StringValue": reason}},
            )

        first = peek_all(sqs, url)
        again = peek_all(sqs, url)

    assert sorted(json.loads(m["body"])["conversationId"] for m in first) == sorted(f"c-{n}" for n in range(25))
    assert {m["reason"] for m in first} == {"retries-exhausted:0", "retries-exhausted:1"}
    assert len(again) == 25
