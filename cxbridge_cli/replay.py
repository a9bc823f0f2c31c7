"""Ingest dead letters replayed by what each holds: a message move cannot work there (SQS moves only dead
letters whose source is an SQS queue).

A stream-failure record (the outbox's retries ran out) holds only batch metadata (``DDBStreamBatchInfo``:
stream, shard, first and last sequence number): the batch is read again from the stream (kept 24 hours),
and every call record it touched is read from the table and, if still pending, gets a CRM-sync job. An
asynchronous invocation's failure record (an EventBridge event an ingest function failed on) holds the
event (``requestPayload``): it is invoked again. A dead letter is deleted only once replayed; anything
else stays and is counted.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer

from cxbridge.calls.record import SyncStatus
from cxbridge.crm.job import CrmJob

if TYPE_CHECKING:
    from cxbridge.calls.store import DynamoSyncStatusStore
    from cxbridge.core.sqs import SqsQueue


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


def requeue(records: DynamoSyncStatusStore, jobs: SqsQueue, conversation_ids: set[str]) -> int:
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
    jobs: SqsQueue,
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
