"""Call records in DynamoDB: the item codec and the conditional write on ``version``."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.calls.record import CallRecord, SyncStatus
from cxbridge.core.attribute_values import from_attribute, to_attribute
from cxbridge.core.errors import TransientFailure, VersionConflict

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; every number we store is an integer."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


BY_CALL_DATE = "byCallDate"
# How many times a batch read asks for keys that came back unprocessed before it gives up.
UNPROCESSED_ROUNDS = 6
# When the reconciler last re-queued a stranded record's job (epoch ms).
REQUEUED_AT = "requeuedAt"
# Contact linking (issue 18): whether the CRM's copy carries the contact link (absent: linking is off),
# and how many times the reconciler reopened the record to link it.
CONTACT_LINKED = "contactLinked"
RELINKS = "relinks"
# What the ingest writes (all but the key); every other attribute belongs to the CRM side.
RECORD_ATTRIBUTES = (
    "version",
    "cells",
    "firstEventTime",
    "lastEventTime",
    "syncStatus",
    "wrapupCodeId",
    "dispositionName",
    "dispositionTime",
    "userId",
    "queueId",
    "mediaType",
    "direction",
    "divisionId",
    "talkMs",
    "heldMs",
    "acwMs",
    "handleMs",
    "callDate",
    "updatedAt",
    "expiresAt",
)


def record_to_item(record: CallRecord, retention_days: int, now_ms: int | None = None) -> dict[str, Any]:
    """The DynamoDB item (typed JSON) for a record, with derived values flattened for queries and a TTL.

    ``cells`` is the record's truth. The flattened values (``wrapupCodeId``, ``talkMs``, ...) are written
    for the toil report, the CRM worker and the outbox filter; ``record_from_item`` never reads them.
    """
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    last = record.last_event_time or now_ms
    plain = {
        "conversationId": record.conversation_id,
        "version": record.version + 1,
        "cells": {key: {"t": t, "v": v} for key, (t, v) in record.cells.items()},
        "firstEventTime": record.first_event_time,
        "lastEventTime": record.last_event_time,
        "syncStatus": record.sync_status and record.sync_status.value,
        "wrapupCodeId": record.wrapup_code_id,
        "dispositionName": record.disposition_name,
        "dispositionTime": record.disposition_time,
        "userId": record.user_id,
        "queueId": record.queue_id,
        "mediaType": record.media_type,
        "direction": record.direction,
        "divisionId": record.division_id,
        "talkMs": record.talk_ms,
        "heldMs": record.held_ms,
        "acwMs": record.acw_ms,
        "handleMs": record.handle_ms,
        "callDate": record.call_date,
        "updatedAt": now_ms,
        "expiresAt": max(last, now_ms) // 1000 + retention_days * 86_400,
    }
    return {k: to_attribute(v) for k, v in plain.items() if v is not None}


def record_from_item(item: dict[str, Any]) -> CallRecord:
    """The record a DynamoDB item (typed JSON, as from GetItem or a stream image) holds."""
    plain = {k: _plain(from_attribute(v)) for k, v in item.items()}
    return CallRecord(
        conversation_id=plain["conversationId"],
        version=plain["version"],
        cells={key: (cell["t"], cell["v"]) for key, cell in plain.get("cells", {}).items()},
        first_event_time=plain.get("firstEventTime"),
        last_event_time=plain.get("lastEventTime"),
        sync_status=SyncStatus(plain["syncStatus"]) if "syncStatus" in plain else None,
    )


def stream_change(record: Mapping[str, Any]) -> tuple[CallRecord | None, CallRecord] | None:
    """A call-records stream record as (old, new) call records; None for a delete or a TTL expiry,
    which no relay acts on. The relays (CRM jobs, transcript jobs) share this one reading of the images."""
    images = record.get("dynamodb", {})
    if "NewImage" not in images:
        return None
    old = record_from_item(images["OldImage"]) if "OldImage" in images else None
    return old, record_from_item(images["NewImage"])


class DynamoCallRecordStore:
    """``CallRecordStore`` on a DynamoDB table keyed by ``conversationId``."""

    def __init__(self, client: Any, table_name: str, retention_days: int) -> None:
        self._client = client
        self._table = table_name
        self._retention_days = retention_days

    def get(self, conversation_id: str) -> CallRecord | None:
        try:
            resp = self._client.get_item(
                TableName=self._table, Key={"conversationId": {"S": conversation_id}}, ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"call record read failed: {type(exc).__name__}") from None
        item = resp.get("Item")
        return record_from_item(item) if item else None

    def save(self, record: CallRecord) -> None:
        """Create the record, or update its own attributes on the version it was read at.

        An update, not a put, once the record exists: the sync worker's attributes (``crmId``,
        ``syncedAt``, ``syncError``) and the reconciler's marker are not the ingest's to erase. A derived
        value that became empty is removed. A new record has nothing to keep, so it is one conditional put.
        """
        item = record_to_item(record, self._retention_days)
        try:
            if record.version == 0:
                self._client.put_item(
                    TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(conversationId)"
                )
            else:
                self._client.update_item(**self._update(record.conversation_id, record.version, item))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise VersionConflict(record.conversation_id) from None
            raise TransientFailure(f"call record write failed: {type(exc).__name__}") from None
        except BotoCoreError as exc:
            raise TransientFailure(f"call record write failed: {type(exc).__name__}") from None

    def _update(self, conversation_id: str, version: int, item: dict[str, Any]) -> dict[str, Any]:
        """UpdateItem arguments that set the record's attributes if the item is still at ``version``."""
        own = {k: v for k, v in item.items() if k != "conversationId"}
        names = {f"#a{i}": name for i, name in enumerate(own)}
        values = {f":a{i}": value for i, value in enumerate(own.values())}
        expression = "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(own)))
        gone = [name for name in RECORD_ATTRIBUTES if name not in own]
        names |= {f"#r{i}": name for i, name in enumerate(gone)}
        if gone:
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(gone)))
        names["#v"] = "version"
        values[":expected"] = {"N": str(version)}
        return {
            "TableName": self._table,
            "Key": {"conversationId": {"S": conversation_id}},
            "UpdateExpression": expression,
            "ConditionExpression": "#v = :expected",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }


class DynamoSyncStatusStore:
    """``SyncStatusStore`` on the call-records table: batch reads, and settling writes that bump ``version``.

    Bumping the version makes an ingest write racing with the settle re-read and re-merge, so the
    ``synced`` mark is never overwritten by a merge computed from the record before it.
    """

    def __init__(
        self,
        client: Any,
        table_name: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock
        self._sleep = sleep

    def current(self, conversation_ids: Sequence[str]) -> dict[str, CallRecord]:
        records = (record_from_item(item) for item in self._consistent_items(list(dict.fromkeys(conversation_ids))))
        return {record.conversation_id: record for record in records}

    def _settle(
        self, conversation_id: str, sets: dict[str, Any], expected_version: int | None, remove: str = ""
    ) -> None:
        """Set attributes and bump ``version``, on the version we read (or on the record existing)."""
        names = {"#v": "version", **{f"#a{i}": name for i, name in enumerate(sets)}}
        values: dict[str, Any] = {":one": {"N": "1"}}
        values |= {f":a{i}": to_attribute(value) for i, value in enumerate(sets.values())}
        expression = "SET #v = #v + :one, " + ", ".join(f"#a{i} = :a{i}" for i in range(len(sets)))
        condition = "attribute_exists(conversationId)"
        if expected_version is not None:
            condition = "#v = :expected"
            values[":expected"] = {"N": str(expected_version)}
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"conversationId": {"S": conversation_id}},
                UpdateExpression=expression + (f" REMOVE {remove}" if remove else ""),
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise VersionConflict(conversation_id) from None
            raise TransientFailure(f"call record update failed: {type(exc).__name__}") from None
        except BotoCoreError as exc:
            raise TransientFailure(f"call record update failed: {type(exc).__name__}") from None

    def mark_synced(self, record: CallRecord, crm_id: str | None, contact_linked: bool | None = None) -> None:
        sets: dict[str, Any] = {"syncStatus": SyncStatus.SYNCED.value, "syncedAt": int(self._clock() * 1000)}
        if crm_id is not None:
            sets["crmId"] = crm_id
        remove = "syncError"
        if contact_linked is None:
            remove += f", {CONTACT_LINKED}"
        else:
            sets[CONTACT_LINKED] = contact_linked
        self._settle(record.conversation_id, sets, record.version, remove=remove)

    def mark_failed(self, conversation_id: str, reason: str) -> None:
        sets = {"syncStatus": SyncStatus.FAILED.value, "syncError": reason}
        self._settle(conversation_id, sets, None)

    def reopen(self, conversation_id: str) -> None:
        self._settle(conversation_id, {"syncStatus": SyncStatus.PENDING.value}, None)

    def _pending_ids(self, call_date: str, status: SyncStatus = SyncStatus.PENDING) -> list[str]:
        """The day's conversations in ``status`` (pending), from the ``byCallDate`` index (eventually consistent)."""
        ids: list[str] = []
        args: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BY_CALL_DATE,
            "KeyConditionExpression": "callDate = :d",
            "FilterExpression": "syncStatus = :p",
            "ProjectionExpression": "conversationId",
            "ExpressionAttributeValues": {":d": {"S": call_date}, ":p": {"S": status.value}},
        }
        while True:
            try:
                resp = self._client.query(**args)
            except (ClientError, BotoCoreError) as exc:
                raise TransientFailure(f"pending records query failed: {type(exc).__name__}") from None
            ids += [item["conversationId"]["S"] for item in resp.get("Items", [])]
            if "LastEvaluatedKey" not in resp:
                return ids
            args["ExclusiveStartKey"] = resp["LastEvaluatedKey"]

    def stranded(self, call_dates: Sequence[str], quiet_since_ms: int) -> list[CallRecord]:
        """Pending records of those days untouched since ``quiet_since_ms``: neither an ingest write nor a
        reconciler's re-queue since then (strongly consistent reads of the index's candidates)."""
        ids = [cid for day in call_dates for cid in self._pending_ids(day)]
        found: list[CallRecord] = []
        for item in self._consistent_items(ids):
            touched = max(int(item.get(a, {}).get("N", 0)) for a in ("updatedAt", REQUEUED_AT))
            if item.get("syncStatus", {}).get("S") == SyncStatus.PENDING.value and touched < quiet_since_ms:
                found.append(record_from_item(item))
        return found

    def unlinked(self, call_dates: Sequence[str], synced_before_ms: int, max_relinks: int) -> list[CallRecord]:
        """Synced records of those days written without their contact link before ``synced_before_ms`` and
        reopened for it fewer than ``max_relinks`` times. The index does not hold ``contactLinked`` (a
        projection change would rebuild it), so the day's synced ids are read back, strongly consistent."""
        ids = [cid for day in call_dates for cid in self._pending_ids(day, SyncStatus.SYNCED)]
        return [
            record_from_item(item)
            for item in self._consistent_items(ids)
            if item.get("syncStatus", {}).get("S") == SyncStatus.SYNCED.value
            and item.get(CONTACT_LINKED, {}).get("BOOL") is False
            and int(item.get("syncedAt", {}).get("N", 0)) < synced_before_ms
            and int(item.get(RELINKS, {}).get("N", 0)) < max_relinks
        ]

    def _consistent_items(self, ids: Sequence[str]) -> Iterator[dict[str, Any]]:
        """The items of ``ids``, strongly consistent, 100 keys a request (BatchGetItem's limit). Keys
        that come back unprocessed (throttling) are asked again after a growing pause, as AWS advises,
        a bounded number of times: a table that stays throttled is a transient failure, not a spin."""
        for start in range(0, len(ids), 100):
            keys = [{"conversationId": {"S": c}} for c in ids[start : start + 100]]
            request: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
            for attempt in range(UNPROCESSED_ROUNDS):
                if attempt:
                    self._sleep(min(1.0, 0.05 * 2**attempt))
                try:
                    resp = self._client.batch_get_item(RequestItems=request)
                except (ClientError, BotoCoreError) as exc:
                    raise TransientFailure(f"call records read failed: {type(exc).__name__}") from None
                yield from resp.get("Responses", {}).get(self._table, [])
                request = resp.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise TransientFailure("call records read kept coming back unprocessed")

    def reopen_for_relink(self, record: CallRecord, max_relinks: int) -> bool:
        """``pending`` again (version bumped, so a worker holding the old version cannot mark it synced),
        on the version read, still synced and unlinked, under the relink budget; the stream queues its job."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"conversationId": {"S": record.conversation_id}},
                UpdateExpression="SET #v = #v + :one, syncStatus = :p, #n = if_not_exists(#n, :zero) + :one",
                ConditionExpression="#v = :expected AND syncStatus = :s AND #l = :false"
                " AND (attribute_not_exists(#n) OR #n < :max)",
                ExpressionAttributeNames={"#v": "version", "#n": RELINKS, "#l": CONTACT_LINKED},
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":zero": {"N": "0"},
                    ":expected": {"N": str(record.version)},
                    ":max": {"N": str(max_relinks)},
                    ":p": {"S": SyncStatus.PENDING.value},
                    ":s": {"S": SyncStatus.SYNCED.value},
                    ":false": {"BOOL": False},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise TransientFailure(f"call record update failed: {type(exc).__name__}") from None
        except BotoCoreError as exc:
            raise TransientFailure(f"call record update failed: {type(exc).__name__}") from None
        return True

    def mark_requeued(self, conversation_id: str, now_ms: int, quiet_since_ms: int) -> bool:
        """Claim the re-queue of a stranded record (a conditional marker, version untouched): False if
        the record settled, or another pass re-queued it, since ``quiet_since_ms``."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"conversationId": {"S": conversation_id}},
                UpdateExpression="SET #r = :now",
                ConditionExpression="syncStatus = :p AND (attribute_not_exists(#r) OR #r < :since)",
                ExpressionAttributeNames={"#r": REQUEUED_AT},
                ExpressionAttributeValues={
                    ":now": {"N": str(now_ms)},
                    ":since": {"N": str(quiet_since_ms)},
                    ":p": {"S": SyncStatus.PENDING.value},
                },
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise TransientFailure(f"call record update failed: {type(exc).__name__}") from None
        except BotoCoreError as exc:
            raise TransientFailure(f"call record update failed: {type(exc).__name__}") from None
        return True
