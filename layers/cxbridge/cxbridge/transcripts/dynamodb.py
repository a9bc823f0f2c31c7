"""The transcript ledger (one item per conversation in ``TranscriptsTable``) and the transcript queue on SQS."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.core.errors import TransientFailure
from cxbridge.transcripts.ports import LedgerState

if TYPE_CHECKING:
    from collections.abc import Callable


class DynamoTranscriptLedger:
    """``TranscriptLedger``: ``{conversationId, state, reason?, phrases?, truncated?, updatedAt, expiresAt}``."""

    def __init__(
        self, client: Any, table_name: str, retention_days: int, clock: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self._table = table_name
        self._retention_s = retention_days * 86_400
        self._clock = clock

    def _key(self, conversation_id: str) -> dict[str, Any]:
        return {"conversationId": {"S": conversation_id}}

    def _put(self, conversation_id: str, state: LedgerState, condition: str | None = None, **extra: Any) -> bool:
        now = int(self._clock())
        item = {
            **self._key(conversation_id),
            "state": {"S": state.value},
            "updatedAt": {"N": str(now)},
            "expiresAt": {"N": str(now + self._retention_s)},
            **extra,
        }
        args: dict[str, Any] = {"TableName": self._table, "Item": item}
        if condition:
            args["ConditionExpression"] = condition
        try:
            self._client.put_item(**args)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise TransientFailure(f"ledger write failed: {type(exc).__name__}") from None
        except BotoCoreError as exc:
            raise TransientFailure(f"ledger write failed: {type(exc).__name__}") from None
        return True

    def state(self, conversation_id: str) -> LedgerState | None:
        try:
            item = self._client.get_item(
                TableName=self._table, Key=self._key(conversation_id), ConsistentRead=True
            ).get("Item")
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"ledger read failed: {type(exc).__name__}") from None
        return LedgerState(item["state"]["S"]) if item else None

    def claim(self, conversation_id: str) -> bool:
        return self._put(conversation_id, LedgerState.CLAIMED, "attribute_not_exists(conversationId)")

    def release(self, conversation_id: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=self._key(conversation_id),
                ConditionExpression="#s = :claimed",
                ExpressionAttributeNames={"#s": "state"},
                ExpressionAttributeValues={":claimed": {"S": LedgerState.CLAIMED.value}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise TransientFailure(f"ledger release failed: {type(exc).__name__}") from None
        except BotoCoreError as exc:
            raise TransientFailure(f"ledger release failed: {type(exc).__name__}") from None

    def attached(self, conversation_id: str, phrases: int, truncated: bool) -> None:
        self._put(
            conversation_id,
            LedgerState.ATTACHED,
            phrases={"N": str(phrases)},
            truncated={"BOOL": truncated},
        )

    def no_transcript(self, conversation_id: str, reason: str) -> None:
        self._put(conversation_id, LedgerState.NO_TRANSCRIPT, reason={"S": reason[:256]})
