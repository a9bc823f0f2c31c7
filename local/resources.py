"""Create the template's DynamoDB tables, SQS queues and SNS topics on moto, and resolve the references to them."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import boto3

from local.template import create_table, load_template, resources_of_type

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
STACK_NAME = "cxbridge"


def function_arn(logical_id: str) -> str:
    """The ARN a function gets locally: its logical id is its name."""
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{logical_id}"


@dataclass
class LocalResources:
    """Physical names, URLs and ARNs of the emulated resources, by logical id."""

    tables: dict[str, str] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)
    queue_arns: dict[str, str] = field(default_factory=dict)
    topic_arns: dict[str, str] = field(default_factory=dict)  # SNS topics (the toil notices, issue 6)
    secret_arns: dict[str, str] = field(default_factory=dict)  # the keys the stack generates for itself
    extra_refs: dict[str, str] = field(default_factory=dict)  # what the local stack adds (state machines)

    def resolve(self, value: Any) -> Any:
        """Resolve ``Ref`` / ``Fn::GetAtt`` values the way CloudFormation would here; anything else as is."""
        if isinstance(value, dict) and "Ref" in value:
            return self._ref(value["Ref"])
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return self._get_att(*value["Fn::GetAtt"])
        if isinstance(value, dict) and "Fn::If" in value:
            condition, when_true, when_false = value["Fn::If"]
            return self.resolve(when_true if self._condition(condition) else when_false)
        if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._sub_variable(m.group(1))), value["Fn::Sub"])
        return value

    def _condition(self, name: str) -> bool:
        """A template condition (``Fn::Equals``, ``Fn::Not``) on the parameters as the local stack sets them."""

        def holds(expression: Any) -> bool:
            if "Fn::Equals" in expression:
                left, right = (self.resolve(v) for v in expression["Fn::Equals"])
                return bool(str(left) == str(right))
            if "Fn::Not" in expression:
                return not holds(expression["Fn::Not"][0])
            return self._condition(expression["Condition"])

        return holds(load_template()["Conditions"][name])

    def _sub_variable(self, name: str) -> Any:
        """A ``${...}`` of ``Fn::Sub``: a pseudo parameter, ``Logical.Attr``, or a reference."""
        pseudo = {
            "AWS::Partition": "aws",
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": STACK_NAME,
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        if "." in name and not name.endswith(".Alias"):
            return self._get_att(*name.split(".", 1))
        try:
            return self._ref(name)
        except KeyError:
            return name  # an API or another resource the local stack does not emulate: its logical id

    def _ref(self, name: str) -> Any:
        if name.endswith(".Alias") or name in resources_of_type("AWS::Serverless::Function"):
            return function_arn(name.removesuffix(".Alias"))
        created = {
            **self.tables,
            **self.queue_urls,
            **self.topic_arns,
            **self.secret_arns,
            **self.extra_refs,
        }  # name, URL, ARN
        if name in created:
            return created[name]
        param = load_template().get("Parameters", {}).get(name)
        if param is None:
            raise KeyError(f"cannot resolve Ref {name} locally")
        return param.get("Default")

    def _get_att(self, logical: str, attr: str) -> Any:
        if attr == "Arn" and logical in self.queue_arns:
            return self.queue_arns[logical]
        if attr == "Arn" and logical in resources_of_type("AWS::Serverless::Function"):
            return function_arn(logical)
        if attr == "QueueName" and logical in self.queue_urls:
            return self.queue_urls[logical].rsplit("/", 1)[-1]
        raise KeyError(f"cannot resolve GetAtt {logical}.{attr} locally")

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
    """Create every table, queue and topic of the template (dead-letter queues first, then redrive policies)."""
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
    for logical_id in resources_of_type("AWS::SNS::Topic"):  # in the same emulated account as the callers
        res.topic_arns[logical_id] = boto3.client("sns").create_topic(Name=logical_id)["TopicArn"]
    for logical_id, secret in resources_of_type("AWS::SecretsManager::Secret").items():
        key = secret["Properties"]["GenerateSecretString"]["GenerateStringKey"]
        value = json.dumps({key: secrets.token_urlsafe(36)})
        res.secret_arns[logical_id] = boto3.client("secretsmanager").create_secret(Name=logical_id, SecretString=value)[
            "ARN"
        ]
    return res
