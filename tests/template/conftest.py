"""The template as SAM translates it to CloudFormation (what `sam deploy` would create)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from samtranslator.translator.transform import transform

from local.template import load_template


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="session")
def sam() -> dict[str, Any]:
    """The SAM template, as written."""
    return copy.deepcopy(load_template())


@pytest.fixture(scope="session")
def cfn(sam: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation template SAM produces (code locations stubbed; `sam build` sets the real ones)."""
    template = copy.deepcopy(sam)
    for res in template["Resources"].values():
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if key in props:
                props[key] = "s3://bucket/key"
    result: dict[str, Any] = transform(template, {}, _NoManagedPolicies())
    return result
