"""``cxbridge redrive``: finds the dead-letter queue from the stack and starts an SQS message move task."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from cxbridge_cli.queues import move_by_hand, queue_arn, start_redrive
from cxbridge_cli.stack import Aws, read_stack

DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:CrmSyncDeadLetterQueue"


def test_redrive_starts_a_move_task_back_to_the_source_queue() -> None:
    """moto has no StartMessageMoveTask: botocore's stubber checks the request against the real API model."""
    sqs = boto3.client("sqs")
    with Stubber(sqs) as stub:
        stub.add_response(
            "start_message_move_task",
            {"TaskHandle": "handle-1"},
            {"SourceArn": DLQ_ARN, "MaxNumberOfMessagesPerSecond": 50},
        )
        assert start_redrive(sqs, DLQ_ARN, rate=50) == {"TaskHandle": "handle-1"}
        stub.assert_no_pending_responses()


@mock_aws
def test_the_dead_letter_queue_is_found_through_the_stack_outputs() -> None:
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="CrmSyncDeadLetterQueue")["QueueUrl"]
    cloudformation = boto3.client("cloudformation")
    template = {
        "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"CrmSyncDeadLetterQueueUrl": {"Value": dlq}},
    }
    cloudformation.create_stack(StackName="cxbridge", TemplateBody=json.dumps(template))
    stack = read_stack(Aws(), "cxbridge")
    assert queue_arn(sqs, stack.output("CrmSyncDeadLetterQueueUrl")) == DLQ_ARN


@mock_aws
def test_move_by_hand_keeps_body_and_reason() -> None:
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    jobs = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    reason: dict[str, Any] = {"reason": {"DataType": "String", "StringValue": "REQUIRED_FIELD_MISSING"}}
    sqs.send_message(QueueUrl=dlq, MessageBody='{"conversationId": "c1"}', MessageAttributes=reason)
    assert move_by_hand(sqs, dlq, jobs) == 1
    (moved,) = sqs.receive_message(QueueUrl=jobs, MessageAttributeNames=["All"])["Messages"]
    assert moved["Body"] == '{"conversationId": "c1"}'
    assert moved["MessageAttributes"]["reason"]["StringValue"] == "REQUIRED_FIELD_MISSING"
    assert "Messages" not in sqs.receive_message(QueueUrl=dlq)
