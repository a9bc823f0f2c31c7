"""Workitem rows in DynamoDB: one item per workitem, written only conditionally.

Creating is ``PutItem`` if the id is new (the capture claim); every later write is ``PutItem`` on the
``version`` read (optimistic concurrency), so two writers never lose each other's change. Three
indexes: ``byGenesysId`` (events name the Genesys id), and ``byQueue`` / ``byStatus`` sorted on the due
date for the task list. Dates are stored as fixed-width UTC strings, so they sort as text.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.core.attribute_values import from_attribute, to_attribute
from cxbridge.core.errors import FieldError, InvalidRequest, TransientFailure, VersionConflict
from cxbridge.workitems.workitem import Phase, StatusCategory, WorkitemRecord, utc_iso

if TYPE_CHECKING:
    from cxbridge.workitems.workitem import WorkitemQuery

KEY = "workitemId"
BY_GENESYS_ID = "byGenesysId"
BY_QUEUE = "byQueue"
BY_STATUS = "byStatus"
_DATES = ("dateCreated", "dateDue", "dateExpires", "dateModified", "dateClosed")


def _date(value: str) -> datetime:
    return datetime.fromisoformat(value)


def record_to_item(record: WorkitemRecord, retention_days: int) -> dict[str, Any]:
    """The typed item of a record, with a TTL ``retention_days`` after it closed or expired."""
    last = record.date_closed or record.date_expires or record.date_due
    plain: dict[str, Any] = {
        KEY: record.workitem_id,
        "owner": record.owner,
        "sourceId": record.source_id,
        "worktype": record.worktype,
        "typeId": record.type_id,
        "name": record.name,
        "basePriority": record.base_priority,
        "priority": record.priority,
        "phase": record.phase.value,
        "claimedAt": int(record.claimed_at),
        "callbackUrl": record.callback_url,
        "genesysId": record.genesys_id,
        "statusCategory": record.status_category.value,
        "statusId": record.status_id,
        "assignmentState": record.assignment_state,
        "assigneeId": record.assignee_id,
        "queueId": record.queue_id,
        "workbinId": record.workbin_id,
        "paused": record.paused,
        "generation": record.generation,
        "executionArn": record.execution_arn,
        "lastStep": record.last_step,
        "syncKey": record.sync_key,
        "syncedKey": record.synced_key,
        "version": record.version + 1,
        "expiresAt": int((last + timedelta(days=retention_days)).timestamp()),
    }
    for name, value in zip(
        _DATES,
        (record.date_created, record.date_due, record.date_expires, record.date_modified, record.date_closed),
        strict=True,
    ):
        plain[name] = utc_iso(value) if value is not None else None
    return {k: to_attribute(v) for k, v in plain.items() if v is not None}


def record_from_item(item: dict[str, Any]) -> WorkitemRecord:
    """The record a typed item holds."""
    p = {k: from_attribute(v) for k, v in item.items()}
    dates = {name: _date(p[name]) if name in p else None for name in _DATES[2:]}
    return WorkitemRecord(
        workitem_id=p[KEY],
        owner=p.get("owner", ""),  # a row captured before callers had identities belongs to nobody
        source_id=p["sourceId"],
        worktype=p["worktype"],
        type_id=p["typeId"],
        name=p["name"],
        base_priority=int(p["basePriority"]),
        priority=int(p["priority"]),
        date_created=_date(p["dateCreated"]),
        date_due=_date(p["dateDue"]),
        date_expires=dates["dateExpires"],
        date_modified=dates["dateModified"],
        date_closed=dates["dateClosed"],
        phase=Phase(p["phase"]),
        claimed_at=float(p["claimedAt"]),
        callback_url=p.get("callbackUrl"),
        genesys_id=p.get("genesysId"),
        status_category=StatusCategory(p.get("statusCategory", "Unknown")),
        status_id=p.get("statusId"),
        assignment_state=p.get("assignmentState"),
        assignee_id=p.get("assigneeId"),
        queue_id=p.get("queueId"),
        workbin_id=p.get("workbinId"),
        paused=bool(p.get("paused", False)),
        generation=int(p.get("generation", 0)),
        execution_arn=p.get("executionArn"),
        last_step=int(p.get("lastStep", -1)),
        sync_key=p.get("syncKey"),
        synced_key=p.get("syncedKey"),
        version=int(p["version"]),
    )


def _encode_token(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode_token(token: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, dict) or not all(isinstance(v, dict) and len(v) == 1 for v in key.values()):
        raise InvalidRequest("invalid nextToken", [FieldError("nextToken", "not a token this API issued")])
    return key


def _failure(action: str, exc: Exception) -> TransientFailure:
    return TransientFailure(f"workitem {action} failed: {type(exc).__name__}")


class DynamoWorkitemStore:
    """``WorkitemStore`` on the workitems table."""

    def __init__(self, client: Any, table_name: str, retention_days: int) -> None:
        self._client = client
        self._table = table_name
        self._retention_days = retention_days

    def create(self, record: WorkitemRecord) -> tuple[WorkitemRecord, bool]:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=record_to_item(record, self._retention_days),
                ConditionExpression="attribute_not_exists(workitemId)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            if error.get("Code") != "ConditionalCheckFailedException":
                raise _failure("claim", exc) from None
            old = exc.response.get("Item")
            existing = record_from_item(old) if isinstance(old, dict) else self.get(record.workitem_id)
            if existing is None:  # deleted in between (a released claim): the caller tries again
                raise VersionConflict(record.workitem_id) from None
            return existing, False
        except BotoCoreError as exc:
            raise _failure("claim", exc) from None
        return replace(record, version=record.version + 1), True

    def get(self, workitem_id: str) -> WorkitemRecord | None:
        try:
            item = self._client.get_item(TableName=self._table, Key={KEY: {"S": workitem_id}}, ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise _failure("read", exc) from None
        return record_from_item(item["Item"]) if "Item" in item else None

    def save(self, record: WorkitemRecord) -> WorkitemRecord:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=record_to_item(record, self._retention_days),
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": {"N": str(record.version)}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise VersionConflict(record.workitem_id) from None
            raise _failure("write", exc) from None
        except BotoCoreError as exc:
            raise _failure("write", exc) from None
        return replace(record, version=record.version + 1)

    def delete(self, record: WorkitemRecord) -> None:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key={KEY: {"S": record.workitem_id}},
                ConditionExpression="version = :v",
                ExpressionAttributeValues={":v": {"N": str(record.version)}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise VersionConflict(record.workitem_id) from None
            raise _failure("delete", exc) from None
        except BotoCoreError as exc:
            raise _failure("delete", exc) from None

    def find_by_genesys_id(self, genesys_id: str) -> str | None:
        try:
            answer = self._client.query(
                TableName=self._table,
                IndexName=BY_GENESYS_ID,
                KeyConditionExpression="genesysId = :g",
                ExpressionAttributeValues={":g": {"S": genesys_id}},
                Limit=1,
            )
        except (ClientError, BotoCoreError) as exc:
            raise _failure("lookup", exc) from None
        items = answer.get("Items", [])
        return str(items[0][KEY]["S"]) if items else None

    def page(self, query: WorkitemQuery) -> tuple[list[WorkitemRecord], str | None]:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        if query.queue_id is not None:
            index, condition = BY_QUEUE, "queueId = :p"
            values[":p"] = {"S": query.queue_id}
        else:
            index, condition = BY_STATUS, "statusCategory = :p"
            values[":p"] = {"S": str(query.status)}
        if query.due_before is not None:
            condition += " AND dateDue < :due"
            values[":due"] = {"S": utc_iso(query.due_before)}
        args: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "Limit": query.limit,
        }
        # A caller sees only its own rows (the filter runs after Limit, so a page may be short: follow nextToken).
        filters = ["#o = :o"]
        names["#o"] = "owner"
        values[":o"] = {"S": query.owner}
        if query.queue_id is not None and query.status is not None:
            filters.append("#s = :s")
            names["#s"] = "statusCategory"
            values[":s"] = {"S": str(query.status)}
        args["FilterExpression"] = " AND ".join(filters)
        args["ExpressionAttributeNames"] = names
        if query.next_token:
            args["ExclusiveStartKey"] = _decode_token(query.next_token)
        try:
            answer = self._client.query(**args)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ValidationException" and query.next_token:
                raise InvalidRequest("invalid nextToken", [FieldError("nextToken", "not for this query")]) from None
            raise _failure("query", exc) from None
        except BotoCoreError as exc:
            raise _failure("query", exc) from None
        last = answer.get("LastEvaluatedKey")
        return [record_from_item(i) for i in answer.get("Items", [])], _encode_token(last) if last else None
