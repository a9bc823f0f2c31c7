"""Deliver a DynamoDB table's stream to a handler in Lambda's batch shape, as an event source mapping does."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


class StreamPump:
    """Reads new stream records of one table (all shards) and hands them to a handler in batches.

    Records a handler reports as failed (``batchItemFailures``) are delivered again on the next pump,
    from the first failed sequence number of their shard, as Lambda does with ``ReportBatchItemFailures``.
    After ``max_retries`` retries of one batch, ``on_failure`` gets the record Lambda sends to the
    on-failure destination (batch metadata only, ``DDBStreamBatchInfo``) and the batch is skipped.
    """

    def __init__(
        self,
        dynamodb: Any,
        streams: Any,
        table_name: str,
        batch_size: int = 100,
        *,
        max_retries: int | None = None,
        on_failure: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._streams = streams
        self._arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self._batch_size = batch_size
        self._max_retries = max_retries
        self._on_failure = on_failure
        self._iterators: dict[str, str] = {}
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._retries: dict[str, int] = {}

    def _shard_ids(self) -> list[str]:
        shards = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]
        return [s["ShardId"] for s in shards]

    def _read(self, shard_id: str) -> list[dict[str, Any]]:
        if shard_id not in self._iterators:
            self._iterators[shard_id] = self._streams.get_shard_iterator(
                StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        resp = self._streams.get_records(ShardIterator=self._iterators[shard_id], Limit=1000)
        self._iterators[shard_id] = resp["NextShardIterator"]
        return [_as_lambda_sends(r, self._arn) for r in resp["Records"]]

    def pump(self, handler: Callable[[dict[str, Any]], dict[str, Any] | None]) -> int:
        """Deliver everything new (and everything failed before); return how many records were delivered."""
        delivered = 0
        for shard_id in self._shard_ids():
            records = self._pending.pop(shard_id, []) + self._read(shard_id)
            while records:
                batch, records = records[: self._batch_size], records[self._batch_size :]
                delivered += len(batch)
                try:
                    failures = (handler({"Records": batch}) or {}).get("batchItemFailures", [])
                except Exception:  # noqa: BLE001 - a function error (or time-out): Lambda retries the whole batch
                    failures = [{"itemIdentifier": batch[0]["dynamodb"]["SequenceNumber"]}]
                if failures:
                    first = min(int(f["itemIdentifier"]) for f in failures)
                    failed = [r for r in batch if int(r["dynamodb"]["SequenceNumber"]) >= first]
                    self._retries[shard_id] = self._retries.get(shard_id, 0) + 1
                    if self._max_retries is not None and self._retries[shard_id] > self._max_retries:
                        self._give_up(shard_id, failed)
                        continue  # the batch is skipped; the records after it go on
                    self._pending[shard_id] = failed + records
                    break
                self._retries.pop(shard_id, None)
        return delivered

    def _give_up(self, shard_id: str, failed: list[dict[str, Any]]) -> None:
        """Retries exhausted: what Lambda writes to the on-failure destination, then on with the shard."""
        self._retries.pop(shard_id, None)
        if self._on_failure is None:
            return
        self._on_failure(
            {
                "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": self._max_retries},
                "version": "1.0",
                "DDBStreamBatchInfo": {
                    "shardId": shard_id,
                    "startSequenceNumber": failed[0]["dynamodb"]["SequenceNumber"],
                    "endSequenceNumber": failed[-1]["dynamodb"]["SequenceNumber"],
                    "batchSize": len(failed),
                    "streamArn": self._arn,
                },
            }
        )


def _as_lambda_sends(record: dict[str, Any], arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda's event has it: the creation time in epoch seconds, the source's ARN."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": dynamodb, "eventSourceARN": arn}
