"""Create the template's DynamoDB tables and SQS queues on moto, and resolve the references to them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from local.template import create_table, load_template, resources_of_type


@dataclass
class LocalResources:
    """Physical names, URLs and ARNs of the emulated resources, by logical id."""

    tables: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        """Resolve ``Ref`` / ``Fn::GetAtt`` / ``Fn::Sub``-free values the way CloudFormation would here."""
        if isinstance(value, dict) and "Ref" in value:
            name = value["Ref"]
            if name in self.tables:
                return self.tables[name]
            if name in self.queue_urls:
                return self.queue_urls[name]
            param = load_template().get("Parameters", {}).get(name)
            if param is not None:
                return param.get("Default")
            raise KeyError(f"cannot resolve Ref {name} locally")
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical, attr = value["Fn::GetAtt"]
            if attr == "Arn" and logical in self.queue_arns:
                return self.queue_arns[logical]
            if attr == "QueueName" and logical in self.queue_urls:
                return self.queue_urls[logical].rsplit("/", 1)[-1]
            raise KeyError(f"cannot resolve GetAtt {logical}.{attr} locally")
        return value

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The environment a function gets: Globals merged with its own variables, references resolved."""
        template = load_template()
        merged: dict[str, Any] = {}
        glob = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
        own = template["Resources"][logical_id]["Properties"].get("Environment", {}).get("Variables", {})
        merged.update(glob)
        merged.update(own)
        return {k: str(self.resolve(v)) for k, v in merged.items()}


def create_all(dynamodb: Any, sqs: Any) -> LocalResources:
    """Create every table and queue of the template (dead-letter queues first, then redrive policies)."""
    res = LocalResources()
    for logical_id in resources_of_type("AWS::DynamoDB::Table"):
        res.tables[logical_id] = create_table(dynamodb, logical_id, logical_id)
    queues = resources_of_type("AWS::SQS::Queue")
    for logical_id, queue in queues.items():
        props = queue.get("Properties", {})
        attrs = {"VisibilityTimeout": str(props.get("VisibilityTimeout", 30))}
        url = sqs.create_queue(QueueName=logical_id, Attributes=attrs)["QueueUrl"]
        res.queue_urls[logical_id] = url
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        res.queue_arns[logical_id] = arn
    for logical_id, queue in queues.items():
        redrive = queue.get("Properties", {}).get("RedrivePolicy")
        if redrive:
            policy = {k: res.resolve(v) for k, v in redrive.items()}
            sqs.set_queue_attributes(
                QueueUrl=res.queue_urls[logical_id], Attributes={"RedrivePolicy": json.dumps(policy)}
            )
    return res
