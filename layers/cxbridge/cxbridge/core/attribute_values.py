"""DynamoDB's typed values (``{"S": "x"}``, ``{"N": "1"}``) for what our records hold, both ways.

boto3's ``TypeSerializer`` does this, but importing ``boto3.dynamodb.types`` imports boto3 and s3transfer
on top of botocore, ~20 ms of every cold start (docs/decisions.md, issue 15). Numbers follow boto3's
rules: the DynamoDB context (38 digits, no rounding), ``Decimal`` on the way back, ``float`` refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

# DynamoDB's number limits, as boto3 declares them: a value it would have to round is an error.
_NUMBERS = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])


def to_attribute(value: Any) -> dict[str, Any]:
    """The typed value DynamoDB stores for ``value`` (str, bool, None, int, Decimal, mapping, list, set of str)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):  # before int: a bool is an int
        return {"BOOL": value}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int | Decimal):
        return {"N": str(_NUMBERS.create_decimal(value))}
    return _collection(value)


def _collection(value: Any) -> dict[str, Any]:
    """A mapping, a sequence or a set of strings, typed member by member (anything else has no DynamoDB type)."""
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attribute(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(v) for v in value]}
    if isinstance(value, set | frozenset) and value and all(isinstance(v, str) for v in value):
        return {"SS": sorted(value)}
    raise TypeError(f"no DynamoDB type for a {type(value).__name__}")


_READERS: dict[str, Callable[[Any], Any]] = {
    "S": lambda v: v,
    "BOOL": lambda v: v,
    "NULL": lambda _: None,
    "N": _NUMBERS.create_decimal,
    "M": lambda v: {k: from_attribute(a) for k, a in v.items()},
    "L": lambda v: [from_attribute(a) for a in v],
    "SS": set,
    "NS": lambda v: {_NUMBERS.create_decimal(n) for n in v},
}


def from_attribute(attribute: Mapping[str, Any]) -> Any:
    """The plain value of a typed one (numbers as ``Decimal``, as boto3 returns them)."""
    if len(attribute) != 1:
        raise ValueError(f"a typed value has one type, not {sorted(attribute)}")
    ((kind, value),) = attribute.items()
    reader = _READERS.get(kind)
    if reader is None:
        raise ValueError(f"a typed value of kind {kind} is not one our records hold")
    return reader(value)
