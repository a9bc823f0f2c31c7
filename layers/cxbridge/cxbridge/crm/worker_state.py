"""The CRM-sync worker's shared state in one DynamoDB table: the circuit breaker and the bot ledger.

Keys: ``breaker#<sink>`` (failures, openUntil, version) and ``bot#<bot>#<conversationId>`` /
``botdeployment#<deploymentId>`` (the Automation Anywhere ledger and its reverse lookup for callbacks).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.core.errors import TransientFailure
from cxbridge.crm.breaker import BreakerState
from cxbridge.crm.outcome import LedgerEntry

if TYPE_CHECKING:
    from collections.abc import Callable

LEDGER_TTL_S = 30 * 86_400  # a month: longer than any bot run or redrive
# Puts a claim makes before giving up on an entry that changes under it every time (a transient failure).
CLAIM_ATTEMPTS = 3


def _conditional_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoBreakerStore:
    """``BreakerStore``: one item, changed by read / change / write-if-unchanged (optimistic locking)."""

    def __init__(self, client: Any, table_name: str, name: str) -> None:
        self._client = client
        self._table = table_name
        self._key = {"pk": {"S": f"breaker#{name}"}}

    def _read(self) -> tuple[BreakerState, int]:
        try:
            item = self._client.get_item(TableName=self._table, Key=self._key, ConsistentRead=True).get("Item")
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"breaker read failed: {type(exc).__name__}") from None
        if not item:
            return BreakerState(), 0
        state = BreakerState(int(item["failures"]["N"]), float(item["openUntil"]["N"]))
        return state, int(item["version"]["N"])

    def load(self) -> BreakerState:
        return self._read()[0]

    def update(self, change: Callable[[BreakerState], BreakerState]) -> BreakerState:
        for _ in range(5):
            state, version = self._read()
            new = change(state)
            if new == state:
                return state
            item = {
                **self._key,
                "failures": {"N": str(new.failures)},
                "openUntil": {"N": repr(new.open_until)},
                "version": {"N": str(version + 1)},
            }
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="attribute_not_exists(pk) OR version = :v",
                    ExpressionAttributeValues={":v": {"N": str(version)}},
                )
            except ClientError as exc:
                if _conditional_failed(exc):
                    continue
                raise TransientFailure(f"breaker write failed: {type(exc).__name__}") from None
            return new
        return self.load()  # others kept changing it: their view is as good as ours


class DynamoBotDeploymentLedger:
    """``BotDeploymentLedger`` for one bot: a conditional put claims a conversation before any deploy."""

    def __init__(self, client: Any, table_name: str, bot: str, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._table = table_name
        self._bot = bot
        self._clock = clock

    def _key(self, conversation_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"bot#{self._bot}#{conversation_id}"}}

    def _call(self, operation: str, **kwargs: Any) -> Any:
        try:
            return getattr(self._client, operation)(TableName=self._table, **kwargs)
        except ClientError as exc:
            if _conditional_failed(exc):
                raise
            raise TransientFailure(f"bot ledger {operation} failed: {type(exc).__name__}") from None
        except BotoCoreError as exc:
            raise TransientFailure(f"bot ledger {operation} failed: {type(exc).__name__}") from None

    def _conditionally(self, operation: str, **kwargs: Any) -> bool:
        """A conditional write; False when its condition failed (another worker holds the entry)."""
        try:
            self._call(operation, **kwargs)
        except ClientError:
            return False
        return True

    def get(self, conversation_id: str) -> LedgerEntry | None:
        item = self._call("get_item", Key=self._key(conversation_id), ConsistentRead=True).get("Item")
        if not item:
            return None
        return LedgerEntry(
            conversation_id,
            float(item.get("claimedAt", {}).get("N", "0")),  # absent: an entry an older release wrote
            item.get("deploymentId", {}).get("S"),
            item.get("content", {}).get("S", ""),
            item.get("settled", {}).get("BOOL", False),
            item.get("failed", {}).get("BOOL", False),
            int(item.get("attempts", {}).get("N", "1")),
            item.get("failReason", {}).get("S"),
        )

    def _claim_item(self, conversation_id: str, content: str, attempts: int = 1) -> dict[str, Any]:
        now = self._clock()
        return {
            **self._key(conversation_id),
            "conversationId": {"S": conversation_id},
            "content": {"S": content},
            "claimedAt": {"N": repr(now)},
            "expiresAt": {"N": str(int(now) + LEDGER_TTL_S)},
            "attempts": {"N": str(attempts)},
        }

    def claim(self, conversation_id: str, content: str) -> LedgerEntry | None:
        """The refusing entry is read after the refused put; if it changed in between so that the put would
        now pass (released, or its run settled), the put is made again: answering with an entry that no
        longer stands let two workers deploy the same content (``make faults`` found 9 such runs)."""
        for _ in range(CLAIM_ATTEMPTS):
            claimed = self._conditionally(
                "put_item",
                Item=self._claim_item(conversation_id, content),
                # A new claim replaces an entry whose run ended, for other content than it ran.
                ConditionExpression="attribute_not_exists(pk) OR (settled = :t AND content <> :c)",
                ExpressionAttributeValues={":t": {"BOOL": True}, ":c": {"S": content}},
            )
            if claimed:
                return None
            entry = self.get(conversation_id)
            if entry is not None and not (entry.settled and entry.content not in ("", content)):
                return entry
        raise TransientFailure("bot ledger claim kept changing")

    def settle(self, conversation_id: str, deployment_id: str) -> None:
        # Refused: a newer deployment (or none) holds the entry, and this run's end changes nothing.
        self._conditionally(
            "update_item",
            Key=self._key(conversation_id),
            UpdateExpression="SET settled = :t",
            ConditionExpression="deploymentId = :d",
            ExpressionAttributeValues={":t": {"BOOL": True}, ":d": {"S": deployment_id}},
        )

    def record_deployment(self, conversation_id: str, deployment_id: str, content: str) -> None:
        expires = {"N": str(int(self._clock()) + LEDGER_TTL_S)}
        # Only onto a claim for this content with no run yet: an update must never create an entry. When
        # the claim was dropped or taken meanwhile, this run is not the latest; its callback supersedes.
        self._conditionally(
            "update_item",
            Key=self._key(conversation_id),
            UpdateExpression="SET deploymentId = :d",
            ConditionExpression="attribute_exists(claimedAt) AND content = :c AND attribute_not_exists(deploymentId)",
            ExpressionAttributeValues={":d": {"S": deployment_id}, ":c": {"S": content}},
        )
        reverse = {
            "pk": {"S": f"botdeployment#{deployment_id}"},
            "conversationId": {"S": conversation_id},
            "expiresAt": expires,
        }
        self._call("put_item", Item=reverse)

    def release(self, conversation_id: str, claimed_at: float | None = None) -> None:
        # Refused: a deployment was recorded meanwhile, or (``claimed_at`` given) the claim is a newer one.
        condition, values = "attribute_not_exists(deploymentId)", {}
        if claimed_at == 0:  # an entry an older release wrote, without claimedAt (``get`` reads 0)
            condition += " AND attribute_not_exists(claimedAt)"
        elif claimed_at is not None:
            condition += " AND claimedAt = :t"
            values[":t"] = {"N": repr(claimed_at)}
        self._conditionally(
            "delete_item",
            Key=self._key(conversation_id),
            ConditionExpression=condition,
            **({"ExpressionAttributeValues": values} if values else {}),
        )

    def forget(self, conversation_id: str, deployment_id: str) -> None:
        """Drop the entry after a failed bot run, so a redriven job may deploy again; only if it is still
        that run's, never a newer claim taken meanwhile."""
        self._conditionally(
            "delete_item",
            Key=self._key(conversation_id),
            ConditionExpression="deploymentId = :d",
            ExpressionAttributeValues={":d": {"S": deployment_id}},
        )

    def fail(self, conversation_id: str, deployment_id: str, reason: str) -> None:
        """Mark the entry's work item failed with the bot's reason, if it is still this item's."""
        self._conditionally(
            "update_item",
            Key=self._key(conversation_id),
            UpdateExpression="SET failed = :t, failReason = :r",
            ConditionExpression="deploymentId = :d",
            ExpressionAttributeValues={":t": {"BOOL": True}, ":r": {"S": reason}, ":d": {"S": deployment_id}},
        )

    def reclaim(self, entry: LedgerEntry, content: str, attempts: int) -> bool:
        """Take over a failed entry, still the failed item's, for a new work item (a conditional put)."""
        if not entry.failed or entry.deployment_id is None:
            return False
        return self._conditionally(
            "put_item",
            Item=self._claim_item(entry.conversation_id, content, attempts),
            ConditionExpression="failed = :t AND deploymentId = :d",
            ExpressionAttributeValues={":t": {"BOOL": True}, ":d": {"S": entry.deployment_id}},
        )

    def conversation_for(self, deployment_id: str) -> str | None:
        """The conversation a Control Room callback is about."""
        item = self._call("get_item", Key={"pk": {"S": f"botdeployment#{deployment_id}"}}).get("Item")
        return item["conversationId"]["S"] if item else None
