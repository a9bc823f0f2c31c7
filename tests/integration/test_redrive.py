"""``cxbridge redrive``: a message move for the CRM-sync dead letters (the queue found from the stack), a
replay for the ingest ones."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from cxbridge.calls.store import DynamoSyncStatusStore
from cxbridge.core.sqs import SqsQueue
from cxbridge_cli.queues import move_by_hand, queue_arn, start_redrive
from cxbridge_cli.replay import replay_ingest
from cxbridge_cli.stack import Aws, read_stack
from scripts.build_events import api_gateway_event
from tests.builders import body
from tests.integration.conftest import TABLE
from tests.pii import captured

if TYPE_CHECKING:
    from tests.integration.conftest import Stack

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


@mock_aws
def test_a_dead_lettered_job_is_logged_with_its_reason_and_call() -> None:
    """Nothing leaves the pipeline unseen: the worker's log names the call and the reason."""
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    queue = SqsQueue(sqs, sqs.create_queue(QueueName="jobs")["QueueUrl"], dlq)
    logs = captured(lambda: queue.dead_letter('{"conversationId": "c1"}', "retries-exhausted:http:503", "c1"))
    (line,) = [json.loads(raw) for raw in logs.splitlines() if "job dead-lettered" in raw]
    assert (line["level"], line["reason"], line["conversationId"]) == ("WARNING", "retries-exhausted:http:503", "c1")
    (message,) = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    assert message["MessageAttributes"]["reason"]["StringValue"] == "retries-exhausted:http:503"


def stream_failure(stack: Stack) -> dict[str, Any]:
    """The on-failure record Lambda writes when the outbox's retries on a stream batch run out."""
    streams = boto3.client("dynamodbstreams")
    arn = stack.dynamodb.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    (shard,) = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
        "version": "1.0",
        "DDBStreamBatchInfo": {
            "shardId": shard["ShardId"],
            "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
            "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
            "batchSize": len(records),
            "streamArn": arn,
        },
    }


def test_an_ingest_dead_letter_of_a_stream_batch_requeues_the_pending_calls_it_touched(stack: Stack) -> None:
    """The review's case: stream retries ran out, the dead letter holds batch metadata only."""
    calls = ["00000000-0000-4000-8000-000000000103", "00000000-0000-4000-8000-000000000104"]
    for cid in calls:
        data = {**body("acw-a"), "conversationId": cid}
        assert stack.invoke("ingest_acw", api_gateway_event("/genesys/conversations/acw", data))["statusCode"] == 202
    dlq = stack.resources.queue_urls["IngestDeadLetterQueue"]
    stack.sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(stream_failure(stack)))
    stack.sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"something": "else"}))
    records = DynamoSyncStatusStore(stack.dynamodb, TABLE)
    jobs = SqsQueue(stack.sqs, stack.queue_url)

    counts = replay_ingest(stack.sqs, boto3.client("dynamodbstreams"), None, dlq, records=records, jobs=jobs)

    assert counts == {"stream_batches": 1, "jobs_queued": 2, "events_invoked": 0, "kept": 1}
    assert sorted(j["conversationId"] for j in stack.queued_jobs()) == calls
    attrs = stack.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    left = int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])
    assert left == 1  # the one it could not read is kept


def test_an_ingest_dead_letter_of_a_failed_event_invokes_its_function_again(stack: Stack) -> None:
    dlq = stack.resources.queue_urls["IngestDeadLetterQueue"]
    event = body("acw-b1")
    failure = {
        "requestContext": {"functionArn": "arn:aws:lambda:us-east-1:123456789012:function:IngestAcwFunction:live"},
        "requestPayload": event,
    }
    stack.sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps(failure))
    lambda_client = boto3.client("lambda")
    with Stubber(lambda_client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": failure["requestContext"]["functionArn"],
                "InvocationType": "Event",
                "Payload": json.dumps(event).encode(),
            },
        )
        records = DynamoSyncStatusStore(stack.dynamodb, TABLE)
        jobs = SqsQueue(stack.sqs, stack.queue_url)
        counts = replay_ingest(stack.sqs, None, lambda_client, dlq, records=records, jobs=jobs)
        stub.assert_no_pending_responses()
    assert counts["events_invoked"] == 1


def test_the_local_stream_source_gives_up_after_its_retries_and_writes_the_on_failure_record(stack: Stack) -> None:
    """As Lambda does with MaximumRetryAttempts: the batch is skipped and its metadata sent on."""
    from local.streams import StreamPump

    data = {**body("acw-a"), "conversationId": "00000000-0000-4000-8000-000000000105"}
    assert stack.invoke("ingest_acw", api_gateway_event("/genesys/conversations/acw", data))["statusCode"] == 202
    sent: list[dict[str, Any]] = []
    pump = StreamPump(stack.dynamodb, boto3.client("dynamodbstreams"), TABLE, max_retries=2, on_failure=sent.append)

    def failing(event: dict[str, Any]) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in event["Records"]]}

    deliveries = [pump.pump(failing) for _ in range(4)]

    assert deliveries == [1, 1, 1, 0]
    (record,) = sent
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"


def test_every_queue_redrive_knows_is_an_output_of_the_template() -> None:
    """`cxbridge redrive --queue crm-sync|ingest|transcripts` finds its queues by the stack's outputs."""
    from cxbridge_cli.queues import DEAD_LETTER_OUTPUTS, SOURCE_OUTPUTS
    from local.template import load_template

    outputs = set(load_template()["Outputs"])
    assert set(DEAD_LETTER_OUTPUTS) == {"crm-sync", "ingest", "transcripts"}
    assert set(DEAD_LETTER_OUTPUTS.values()) | set(SOURCE_OUTPUTS.values()) <= outputs
