"""Move dead-lettered messages back to where they came from.

    python -m scripts.redrive --stack cxbridge [--queue crm-sync|ingest] [--rate 10] [--status]

``crm-sync``: SQS ``StartMessageMoveTask`` back to the CRM-sync queue. The worker upserts by conversation
id and skips calls already synced, so redriving a message whose call was written meanwhile costs one
read and no CRM call.

``ingest``: a message move cannot work there (it moves only dead letters whose source is an SQS queue),
so each dead letter is replayed by what it holds. A stream-failure record (the outbox's retries ran out)
holds only batch metadata (``DDBStreamBatchInfo``: stream, shard, first and last sequence number): the
batch is read again from the stream (kept 24 hours), and every call record it touched is read from the
table and, if still pending, gets a CRM-sync job. An asynchronous invocation's failure record (an
EventBridge event an ingest function failed on) holds the event (``requestPayload``): it is invoked
again. A dead letter is deleted only once replayed; anything else stays and is counted.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer

from cxbridge.calls.record import SyncStatus
from cxbridge.calls.store import DynamoSyncStatusStore
from cxbridge.crm.job import CrmJob
from cxbridge.crm.queue import SqsJobQueue

OUTPUTS = {"crm-sync": "CrmSyncDeadLetterQueueUrl", "ingest": "IngestDeadLetterQueueUrl"}


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    return {o["OutputKey"]: o["OutputValue"] for o in outputs}


def dead_letter_queue_arn(cloudformation: Any, sqs: Any, stack: str, queue: str) -> str:
    """The ARN of a dead-letter queue, found through the stack's outputs."""
    url = stack_outputs(cloudformation, stack)[OUTPUTS[queue]]
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return arn


def redrive(sqs: Any, source_arn: str, rate: int | None) -> dict[str, Any]:
    """Start moving every message of ``source_arn`` back to its original source queue."""
    args: dict[str, Any] = {"SourceArn": source_arn}
    if rate:
        args["MaxNumberOfMessagesPerSecond"] = rate
    result: dict[str, Any] = sqs.start_message_move_task(**args)
    return result


def move_by_hand(sqs: Any, dead_letter_url: str, destination_url: str) -> int:
    """Receive, re-send and delete each dead letter: for emulators without ``StartMessageMoveTask``."""
    moved = 0
    while messages := sqs.receive_message(
        QueueUrl=dead_letter_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        for m in messages:
            attributes = m.get("MessageAttributes", {})
            sqs.send_message(QueueUrl=destination_url, MessageBody=m["Body"], MessageAttributes=attributes)
            sqs.delete_message(QueueUrl=dead_letter_url, ReceiptHandle=m["ReceiptHandle"])
            moved += 1
    return moved


def stream_batch_keys(streams: Any, batch: dict[str, Any]) -> set[str]:
    """The conversation ids of a failed stream batch, read again from the stream (empty once trimmed)."""
    first, last = int(batch["startSequenceNumber"]), int(batch["endSequenceNumber"])
    iterator = streams.get_shard_iterator(
        StreamArn=batch["streamArn"],
        ShardId=batch["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=batch["startSequenceNumber"],
    )["ShardIterator"]
    keys: set[str] = set()
    while iterator:
        resp = streams.get_records(ShardIterator=iterator, Limit=1000)
        records = resp.get("Records", [])
        for r in records:
            if int(r["dynamodb"]["SequenceNumber"]) > last:
                return keys
            if int(r["dynamodb"]["SequenceNumber"]) >= first:
                keys.add(TypeDeserializer().deserialize(r["dynamodb"]["Keys"]["conversationId"]))
        if not records:
            return keys
        iterator = resp.get("NextShardIterator")
    return keys


def requeue(records: DynamoSyncStatusStore, jobs: SqsJobQueue, conversation_ids: set[str]) -> int:
    """A CRM-sync job for each of these calls still pending with a disposition; how many were queued."""
    queued = 0
    for record in records.current(sorted(conversation_ids)).values():
        if record.sync_status is SyncStatus.PENDING and record.disposition is not None:
            jobs.send(CrmJob.from_record(record))
            queued += 1
    return queued


def replay_ingest(
    sqs: Any,
    streams: Any,
    lambda_client: Any,
    dead_letter_url: str,
    *,
    records: DynamoSyncStatusStore,
    jobs: SqsJobQueue,
) -> dict[str, int]:
    """Replay each ingest dead letter by what it holds (see the module docstring); counts by kind."""
    counts = {"stream_batches": 0, "jobs_queued": 0, "events_invoked": 0, "kept": 0}
    seen: set[str] = set()
    while messages := sqs.receive_message(QueueUrl=dead_letter_url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
        "Messages", []
    ):
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            break  # only what we kept came back
        for m in fresh:
            seen.add(m["MessageId"])
            body = json.loads(m["Body"])
            if "DDBStreamBatchInfo" in body:
                counts["stream_batches"] += 1
                counts["jobs_queued"] += requeue(records, jobs, stream_batch_keys(streams, body["DDBStreamBatchInfo"]))
            elif "requestPayload" in body and "functionArn" in body.get("requestContext", {}):
                function = body["requestContext"]["functionArn"]
                payload = json.dumps(body["requestPayload"]).encode()
                lambda_client.invoke(FunctionName=function, InvocationType="Event", Payload=payload)
                counts["events_invoked"] += 1
            else:
                counts["kept"] += 1
                continue
            sqs.delete_message(QueueUrl=dead_letter_url, ReceiptHandle=m["ReceiptHandle"])
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="cxbridge", help="CloudFormation stack name")
    parser.add_argument("--queue", choices=sorted(OUTPUTS), default="crm-sync")
    parser.add_argument("--rate", type=int, help="messages per second (default: as fast as SQS allows)")
    parser.add_argument("--status", action="store_true", help="show the move tasks instead of starting one")
    args = parser.parse_args(argv)
    sqs = boto3.client("sqs")
    if args.queue == "ingest" and not args.status:
        outputs = stack_outputs(boto3.client("cloudformation"), args.stack)
        dynamodb = boto3.client("dynamodb")
        counts = replay_ingest(
            sqs,
            boto3.client("dynamodbstreams"),
            boto3.client("lambda"),
            outputs["IngestDeadLetterQueueUrl"],
            records=DynamoSyncStatusStore(dynamodb, outputs["CallRecordsTableName"]),
            jobs=SqsJobQueue(sqs, outputs["CrmSyncQueueUrl"]),
        )
        print(json.dumps(counts))
        return 0
    arn = dead_letter_queue_arn(boto3.client("cloudformation"), sqs, args.stack, args.queue)
    if args.status:
        print(json.dumps(sqs.list_message_move_tasks(SourceArn=arn).get("Results", []), indent=2, default=str))
    else:
        print(json.dumps(redrive(sqs, arn, args.rate), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
