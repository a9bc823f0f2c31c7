"""``LookupCache`` in the worker-state table: ``lookup#<sink>#<salted hash>`` items that DynamoDB's TTL removes.

The key is an HMAC of the looked-up value (``lookup.cache_key``), so the table never holds a phone number
or an account number. The item holds the CRM's answer: its status, the record id and the configured
fields (CRM data the route answers with, kept as long as the cache lifetime). TTL deletion lags by up to
days, so ``expiresAt`` is checked on every read.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.core.errors import TransientFailure
from cxbridge.crm.lookup import LookupResult, LookupStatus, cache_key

if TYPE_CHECKING:
    from collections.abc import Callable

    from cxbridge.crm.lookup import LookupQuery


class DynamoLookupCache:
    """One item per lookup value and CRM, kept ``ttl_s`` seconds; ``salt`` reads the current key (it may rotate:
    answers kept under the old one are then missed, never misread)."""

    def __init__(
        self,
        client: Any,
        table_name: str,
        namespace: str,
        *,
        salt: Callable[[], bytes],
        ttl_s: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table = table_name
        self._namespace = namespace
        self._salt = salt
        self._ttl_s = ttl_s
        self._clock = clock

    def _key(self, query: LookupQuery) -> dict[str, Any]:
        return {"pk": {"S": f"lookup#{self._namespace}#{cache_key(self._salt(), query)}"}}

    def get(self, query: LookupQuery) -> LookupResult | None:
        try:
            item = self._client.get_item(TableName=self._table, Key=self._key(query)).get("Item")
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"lookup cache read failed: {type(exc).__name__}") from None
        if not item or float(item["expiresAt"]["N"]) <= self._clock():
            return None
        return LookupResult(
            LookupStatus(item["status"]["S"]),
            item.get("recordId", {}).get("S"),
            {name: value["S"] for name, value in item.get("fields", {}).get("M", {}).items()},
        )

    def put(self, query: LookupQuery, result: LookupResult) -> None:
        item: dict[str, Any] = {
            **self._key(query),
            "status": {"S": result.status.value},
            "expiresAt": {"N": str(int(self._clock()) + self._ttl_s)},
        }
        if result.record_id is not None:
            item["recordId"] = {"S": result.record_id}
        if result.fields:
            item["fields"] = {"M": {name: {"S": value} for name, value in result.fields.items()}}
        try:
            self._client.put_item(TableName=self._table, Item=item)
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"lookup cache write failed: {type(exc).__name__}") from None
