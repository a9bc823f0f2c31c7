"""The DynamoDB value codec writes and reads exactly what boto3's TypeSerializer / TypeDeserializer do."""

from __future__ import annotations

from decimal import Decimal, Inexact, Rounded
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from cxbridge.core.attribute_values import from_attribute, to_attribute

_scalars = st.none() | st.booleans() | st.text() | st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1)
_values = st.recursive(
    _scalars | st.frozensets(st.text(), min_size=1),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_values)
def test_same_typed_values_as_boto3(value: object) -> None:
    typed = to_attribute(value)
    theirs: Any = TypeSerializer().serialize(value)
    assert typed == _normalised(theirs)
    assert from_attribute(typed) == TypeDeserializer().deserialize(theirs)


def _normalised(typed: dict[str, Any]) -> dict[str, Any]:
    """boto3 keeps a set's order as iterated; ours is sorted, so the item is the same whatever the hash seed."""
    if "SS" in typed:
        return {"SS": sorted(typed["SS"])}
    if "M" in typed:
        return {"M": {k: _normalised(v) for k, v in typed["M"].items()}}
    if "L" in typed:
        return {"L": [_normalised(v) for v in typed["L"]]}
    return typed


def test_numbers_dynamodb_cannot_hold_are_refused_not_rounded() -> None:
    with pytest.raises((Inexact, Rounded)):
        to_attribute(10**40 + 1)
    with pytest.raises(TypeError, match="float"):
        to_attribute(1.5)


def test_numbers_come_back_as_decimal_and_unknown_kinds_are_named() -> None:
    assert from_attribute({"N": "42"}) == Decimal(42)
    with pytest.raises(ValueError, match="kind B"):
        from_attribute({"B": b"x"})
    with pytest.raises(ValueError, match="one type"):
        from_attribute({"S": "a", "N": "1"})
