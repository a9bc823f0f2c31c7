"""A deployed stack as the command sees it: its parameters and outputs, and AWS clients for its account."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

# The local stack (``make local``): AWS on a moto server at a fixed port beside the API, any credentials.
LOCAL_AWS_URL = "http://127.0.0.1:3003"
LOCAL_REGION = "us-east-1"


class StackError(Exception):
    """The stack cannot be read; the message says what to do."""


@dataclass(frozen=True)
class Aws:
    """Clients for one account and region (``endpoint_url``: the local stack's moto server)."""

    endpoint_url: str | None = None
    region: str | None = None

    def client(self, name: str) -> Any:
        args: dict[str, Any] = {"region_name": self.region}
        if self.endpoint_url:  # an emulator: any credentials, and the local stack's region unless told otherwise
            args |= {"endpoint_url": self.endpoint_url, "aws_access_key_id": "local", "aws_secret_access_key": "local"}
            args["region_name"] = self.region or LOCAL_REGION
        return boto3.client(name, **args)  # type: ignore[call-overload]


@dataclass(frozen=True)
class Stack:
    name: str
    parameters: dict[str, str]
    outputs: dict[str, str]

    def output(self, key: str) -> str:
        value = self.outputs.get(key)
        if not value:
            raise StackError(f"stack {self.name} has no output {key}: deploy the current template.yaml")
        return value


def read_stack(aws: Aws, name: str) -> Stack:
    """``describe-stacks``: the parameters the stack was deployed with and its outputs."""
    try:
        found = aws.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        raise StackError(
            f"stack {name} not found ({exc.response['Error'].get('Code')}): deploy it first (make deploy), "
            "check --stack and the AWS region (AWS_REGION), or pass --local for the local stack"
        ) from None
    return Stack(
        name,
        {p["ParameterKey"]: p.get("ParameterValue", "") for p in found.get("Parameters", [])},
        {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])},
    )
