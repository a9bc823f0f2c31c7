"""The local stack as CloudFormation describes a deployed one, so ``cxbridge --local`` reads it the same way.

A stack named like the deployed default (``cxbridge``) is registered on the moto server with every template
parameter at its default and every output the local resources can resolve (queue URLs, table names).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from local.resources import STACK_NAME
from local.template import load_template

if TYPE_CHECKING:
    from local.resources import LocalResources


def register_stack(cloudformation: Any, resources: LocalResources) -> None:
    template = load_template()
    parameters = {name: str(p.get("Default", "")) for name, p in template.get("Parameters", {}).items()}
    outputs: dict[str, str] = {}
    for name, output in template.get("Outputs", {}).items():
        value = output["Value"]
        if isinstance(value, dict) and "Ref" in value and value["Ref"] in {**resources.tables, **resources.queue_urls}:
            outputs[name] = str(resources.resolve(value))
    body = {
        "Parameters": {name: {"Type": "String"} for name in parameters},
        "Resources": {"Placeholder": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    cloudformation.create_stack(
        StackName=STACK_NAME,
        TemplateBody=json.dumps(body),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
