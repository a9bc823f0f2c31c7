"""Read ``template.yaml`` (the one source of truth) for what the local stack and tests must create."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


@lru_cache(maxsize=1)
def load_template() -> dict[str, Any]:
    """The template as a plain dict; intrinsic functions stay as ``{"Ref": ...}`` / ``{"Fn::GetAtt": ...}``."""
    return dict(cfn_yaml.load(str(TEMPLATE)))


def resource(logical_id: str) -> dict[str, Any]:
    """One resource's definition."""
    return dict(load_template()["Resources"][logical_id])


def resources_of_type(kind: str) -> dict[str, dict[str, Any]]:
    """Every resource of a CloudFormation or SAM type, by logical id."""
    return {k: dict(v) for k, v in load_template()["Resources"].items() if v.get("Type") == kind}


def parameter_default(name: str) -> Any:
    """A template parameter's default value."""
    return load_template()["Parameters"][name].get("Default")


def create_table(dynamodb: Any, logical_id: str, table_name: str) -> str:
    """Create a DynamoDB table with the key schema, indexes and stream the template gives it."""
    props = resource(logical_id)["Properties"]
    args: dict[str, Any] = {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
    }
    if "GlobalSecondaryIndexes" in props:
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if "StreamSpecification" in props:
        args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    dynamodb.create_table(**args)
    return table_name
