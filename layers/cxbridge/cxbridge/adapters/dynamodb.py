"""Call records in DynamoDB: the item codec and the conditional write on ``version``."""

from __future__ import annotations

import time
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.domain.call_record import AgentLeg, CallRecord, CompletedReport, CustomerLeg, SyncStatus
from cxbridge.errors import TransientFailure, VersionConflict

_SER = TypeSerializer()
_DESER = TypeDeserializer()

_LEG_FIELDS = {
    "userId": "user_id",
    "queueId": "queue_id",
    "endEventTime": "end_event_time",
    "talkMs": "talk_ms",
    "heldMs": "held_ms",
    "dialingMs": "dialing_ms",
    "contactingMs": "contacting_ms",
    "acwEventTime": "acw_event_time",
    "acwMs": "acw_ms",
    "wrapupCodeId": "wrapup_code_id",
}
_INT_FIELDS = {"version", "attrsEventTime", "firstEventTime", "lastEventTime", "eventTime", "durationMs"}
_INT_FIELDS |= {k for k, v in _LEG_FIELDS.items() if v.endswith(("_ms", "_time"))}


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def record_to_item(record: CallRecord, retention_days: int, now_ms: int | None = None) -> dict[str, Any]:
    """The DynamoDB item (typed JSON) for a record, with derived totals flattened for queries and a TTL."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    last = record.last_event_time or now_ms
    plain = _compact(
        {
            "conversationId": record.conversation_id,
            "version": record.version + 1,
            "mediaType": record.media_type,
            "direction": record.direction,
            "divisionId": record.division_id,
            "attrsEventTime": record.attrs_event_time,
            "firstEventTime": record.first_event_time,
            "lastEventTime": record.last_event_time,
            "agents": {
                pid: _compact({k: getattr(leg, attr) for k, attr in _LEG_FIELDS.items()})
                for pid, leg in record.agents.items()
            },
            "customer": record.customer
            and _compact(
                {
                    "eventTime": record.customer.event_time,
                    "talkMs": record.customer.talk_ms,
                    "disconnectType": record.customer.disconnect_type,
                }
            ),
            "completed": record.completed
            and _compact(
                {
                    "eventTime": record.completed.event_time,
                    "userId": record.completed.user_id,
                    "durationMs": record.completed.duration_ms,
                    "status": record.completed.status,
                    "dispositionName": record.completed.disposition_name,
                }
            ),
            "syncStatus": record.sync_status and record.sync_status.value,
            # Derived, for the toil report and the CRM worker; never read back into the record.
            "wrapupCodeId": record.wrapup_code_id,
            "dispositionName": record.disposition_name,
            "dispositionTime": record.disposition_time,
            "userId": record.user_id,
            "queueId": record.queue_id,
            "talkMs": record.talk_ms,
            "heldMs": record.held_ms,
            "acwMs": record.acw_ms,
            "handleMs": record.handle_ms,
            "callDate": record.call_date,
            "updatedAt": now_ms,
            "expiresAt": max(last, now_ms) // 1000 + retention_days * 86_400,
        }
    )
    return {k: _SER.serialize(v) for k, v in plain.items()}


def _ints(values: dict[str, Any]) -> dict[str, Any]:
    return {k: int(v) if k in _INT_FIELDS else v for k, v in values.items()}


def record_from_item(item: dict[str, Any]) -> CallRecord:
    """The record a DynamoDB item (typed JSON, as from GetItem or a stream image) holds."""
    plain = _ints({k: _DESER.deserialize(v) for k, v in item.items()})
    agents = {
        pid: AgentLeg(**{attr: _ints(leg).get(k) for k, attr in _LEG_FIELDS.items()})
        for pid, leg in plain.get("agents", {}).items()
    }
    customer = _ints(plain["customer"]) if "customer" in plain else None
    completed = _ints(plain["completed"]) if "completed" in plain else None
    return CallRecord(
        conversation_id=plain["conversationId"],
        version=plain["version"],
        media_type=plain.get("mediaType"),
        direction=plain.get("direction"),
        division_id=plain.get("divisionId"),
        attrs_event_time=plain.get("attrsEventTime"),
        first_event_time=plain.get("firstEventTime"),
        last_event_time=plain.get("lastEventTime"),
        agents=agents,
        customer=None
        if customer is None
        else CustomerLeg(customer["eventTime"], customer.get("talkMs"), customer.get("disconnectType")),
        completed=None
        if completed is None
        else CompletedReport(
            completed["eventTime"],
            completed.get("userId"),
            completed.get("durationMs"),
            completed.get("status"),
            completed.get("dispositionName"),
        ),
        sync_status=SyncStatus(plain["syncStatus"]) if "syncStatus" in plain else None,
    )


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
        if record.version == 0:
            condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(conversationId)"}
        else:
            condition = {
                "ConditionExpression": "version = :v",
                "ExpressionAttributeValues": {":v": {"N": str(record.version)}},
            }
        try:
            self._client.put_item(TableName=self._table, Item=record_to_item(record, self._retention_days), **condition)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise VersionConflict(record.conversation_id) from None
            raise TransientFailure(f"call record write failed: {type(exc).__name__}") from None
        except BotoCoreError as exc:
            raise TransientFailure(f"call record write failed: {type(exc).__name__}") from None
