"""Three per-request costs of moto's server that AWS does not have, removed for the local stack.

The stack's one process runs moto, the event sources and the HTTP front, so moto's overhead caps how
many events a minute ``make faults`` gets through (profiled at 2,000-3,000 events of a 10,000-call run):

- ``receive_message`` checks each message it hands out against the queue's retention period by building
  the queue's full attribute map, twice, and that map counts every message in the queue three times: one
  batch of 10 from a queue of n messages walks them about 60 times (28 % of the process). Reading the
  retention period directly gives the same answer.
- every request finds its service by listing moto's package directory and calling ``isdir`` on each of
  its ~200 entries (14 %). The directory does not change while the server runs: it is listed once.
- every DynamoDB answer is walked member by member against botocore's output shape (27 % of moto's time
  once the two above were gone), although an item operation's or a stream read's result is DynamoDB's
  JSON already. Those are written with ``json.dumps`` (timestamps as the serializer writes them); a
  result holding bytes and every other operation still go through moto's serializer.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

ITEM_OPERATIONS: frozenset[str] = frozenset(
    {
        "BatchGetItem",
        "BatchWriteItem",
        "DeleteItem",
        "GetItem",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
    }
)
JSON_ANSWERS = {"dynamodb": ITEM_OPERATIONS, "dynamodbstreams": frozenset({"GetRecords"})}


def make_moto_faster() -> None:
    """Apply the three changes (idempotent)."""
    from moto import backends  # noqa: PLC0415 - moto is a local and test dependency
    from moto.core.responses import ActionResult  # noqa: PLC0415
    from moto.core.serialize import TimestampSerializer  # noqa: PLC0415
    from moto.core.utils import unix_time  # noqa: PLC0415
    from moto.sqs.models import SQSBackend  # noqa: PLC0415

    if getattr(SQSBackend.is_message_valid_based_on_retention_period, "direct", False):
        return

    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Any) -> bool:
        retention_s = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
        return bool(retention_s + message.sent_timestamp / 1000 > unix_time())

    is_message_valid_based_on_retention_period.direct = True  # type: ignore[attr-defined]
    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]

    modules = frozenset(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules

    moto_execute_result = ActionResult.execute_result

    def execute_result(self: ActionResult, context: Any) -> Any:
        if context.operation_model.name in JSON_ANSWERS.get(context.service_model.service_name, ()):
            body = json_body(self.result, context.operation_model.output_shape.members, TimestampSerializer)
            if body is not None:
                return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
        return moto_execute_result(self, context)

    execute_result.moto = moto_execute_result  # type: ignore[attr-defined]
    ActionResult.execute_result = execute_result  # type: ignore[method-assign]


def json_body(result: object, members: Iterable[str], timestamps: Any) -> str | None:
    """``result``'s output ``members`` as DynamoDB's JSON, or None where it holds what JSON cannot (bytes).
    moto's results carry more than the operation's output (``ConsumedCapacityUnits``); ``timestamps``
    writes a datetime as moto's serializer does (epoch seconds, milliseconds kept)."""
    if not isinstance(result, dict):
        return None
    present = _present({k: result[k] for k in members if k in result})
    try:
        return json.dumps(present, default=lambda v: _timestamp(v, timestamps))
    except (TypeError, ValueError):
        return None


def _present(value: Any) -> Any:
    """``value`` without its None members, which the serializer leaves out of an answer."""
    if isinstance(value, dict):
        return {k: _present(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_present(v) for v in value]
    return value


def _timestamp(value: object, timestamps: Any) -> object:
    if isinstance(value, datetime):
        return timestamps._timestamp_unixtimestamp(value)  # the serializer's own rule
    raise TypeError(type(value).__name__)
