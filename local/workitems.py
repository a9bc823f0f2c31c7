"""The workitem part of the local stack: AWS on moto, Genesys as the sandbox, handlers in-process.

The SLA state machine is created on moto from its own ASL file, with the ``DefinitionSubstitutions`` the
template gives it, and executed by moto (``execute_state_machine``): Wait, Choice and the DynamoDB
``GetItem`` integration run as they are. moto cannot run a Lambda without Docker, so ``InProcessLambdas``
answers moto's Lambda ``Invoke`` for the functions it knows by calling their handlers in this process
(an error becomes a function error, as Lambda reports it). Used by the integration tests and the bench.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self
from unittest import mock

import boto3
from moto import mock_aws
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from local.auth import sample_authorizer
from local.lambda_context import LocalContext
from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET
from local.sandboxes.genesys import GenesysSandbox
from local.template import ROOT, create_table, resource

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

type Handler = Callable[[dict[str, Any], Any], Any]
MOTO_CONFIG: Any = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
ACCOUNT = "123456789012"
REGION = "us-east-1"
TABLE = "Workitems"
STEP_FUNCTION = "WorkitemSlaStepFunction"
SECRET_NAME = "cxbridge/genesys"  # noqa: S105 - the name of the sandbox's secret, not a secret
ID_SECRET_NAME = "cxbridge/workitem-ids"  # noqa: S105 - a name
WORKTYPES_PARAMETER = "/cxbridge/workitems/worktypes"


class InProcessLambdas:
    """Answer moto's Lambda ``Invoke`` of the named functions with in-process handlers (others: moto's stub)."""

    def __init__(self, handlers: Mapping[str, Handler]) -> None:
        self._handlers = dict(handlers)
        self.invocations: list[tuple[str, dict[str, Any]]] = []
        self._patch = mock.patch.object(LambdaSimpleBackend, "invoke", self._invoke_patched())

    def _invoke_patched(self) -> Callable[..., bytes | str | None]:
        original = LambdaSimpleBackend.invoke
        lambdas = self

        def invoke(  # noqa: PLR0917 - moto's signature
            backend: LambdaSimpleBackend,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: Any,
        ) -> bytes | str | None:
            name = function_name.rsplit(":function:", 1)[-1].split(":", 1)[0]
            handler = lambdas._handlers.get(name)
            if handler is None:
                return original(backend, function_name, qualifier, body, headers, response_headers)
            event = json.loads(body or "{}")
            lambdas.invocations.append((name, event))
            try:
                result = handler(event, LocalContext(function_name=name))
            except Exception as exc:  # noqa: BLE001 - becomes the function error Lambda would report
                response_headers["x-amz-function-error"] = "Unhandled"
                return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()
            return json.dumps(result).encode()

        return invoke

    def __enter__(self) -> Self:
        self._patch.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._patch.stop()


def _patient_stop(original: Callable[..., None]) -> Callable[..., None]:
    """moto builds an execution's environment on its worker thread after ``StartExecution`` has answered; a
    stop in that window fails. Wait (briefly) for the environment, as the real service has no such window."""

    def stop(worker: ExecutionWorker, *args: Any, **kwargs: Any) -> None:
        deadline = time.monotonic() + 5.0
        while worker.env is None and time.monotonic() < deadline:
            time.sleep(0.01)
        original(worker, *args, **kwargs)

    return stop


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def create_state_machine(sfn: Any, table_name: str, step_function_arn: str) -> str:
    """The workitem SLA state machine from its ASL file, substituted as the template substitutes it."""
    props = resource("WorkitemSlaStateMachine")["Properties"]
    definition = (ROOT / props["DefinitionUri"]).read_text()
    values = {"WorkitemsTableName": table_name, "SlaStepFunctionArn": step_function_arn}
    for key in props["DefinitionSubstitutions"]:
        definition = definition.replace(f"${{{key}}}", values[key])
    return str(
        sfn.create_state_machine(
            name="workitem-sla",
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/workitem-sla",
            type=props.get("Type", "STANDARD"),
        )["stateMachineArn"]
    )


# One invocation at a time in this process: the handlers share one Logger and one Metrics object (in
# Lambda each function has its own process), and a flush on one thread would empty another's metrics.
_INVOKING = threading.RLock()


def handler(function_logical_id: str) -> Handler:
    """The in-process handler of a template function, invoked one at a time."""
    props = resource(function_logical_id)["Properties"]
    module_name, attr = props["Handler"].rsplit(".", 1)
    package = props["CodeUri"].strip("/").replace("/", ".")
    found: Handler = getattr(importlib.import_module(f"{package}.{module_name}"), attr)

    def one_at_a_time(event: dict[str, Any], context: Any) -> Any:
        with _INVOKING:
            return found(event, context)

    return one_at_a_time


def statuses_of(document: Mapping[str, Any]) -> dict[str, str]:
    """statusId → category for the sandbox, from a worktype mapping document."""
    categories = {"open": "Open", "paused": "Waiting", "completed": "Closed", "cancelled": "Closed"}
    found: dict[str, str] = {}
    for worktype in document["worktypes"].values():
        found.update({worktype["statuses"][k]: c for k, c in categories.items()})
    return found


@dataclass
class WorkitemStack:
    """moto + the Genesys sandbox + the workitem handlers, with the environment the template gives them.

    Use as a context manager; ``worktypes`` (a mapping document) goes to the SSM parameter that overrides
    the packaged one.
    """

    worktypes: dict[str, Any]
    callback_hosts: str = "127.0.0.1"
    genesys: GenesysSandbox = field(init=False)
    lambdas: InProcessLambdas = field(init=False)
    state_machine_arn: str = field(init=False)
    queue_url: str = field(init=False)
    dlq_url: str = field(init=False)
    topic_arn: str = field(init=False)
    _mock: Any = field(init=False)
    _stop_patch: Any = field(init=False)
    _saved_env: dict[str, str] = field(init=False)

    def __enter__(self) -> Self:
        self._saved_env = dict(os.environ)
        self._mock = mock_aws(config=MOTO_CONFIG)
        self._mock.start()
        self._stop_patch = mock.patch.object(ExecutionWorker, "stop", _patient_stop(ExecutionWorker.stop))
        self._stop_patch.start()
        self.genesys = GenesysSandbox(seed=5, task_statuses=statuses_of(self.worktypes))
        self.dynamodb = boto3.client("dynamodb", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        create_table(self.dynamodb, "WorkitemsTable", TABLE)
        self.dlq_url = self.sqs.create_queue(QueueName="workitem-callback-dlq")["QueueUrl"]
        self.queue_url = self.sqs.create_queue(QueueName="workitem-callback")["QueueUrl"]
        self.topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name="supervisors")["TopicArn"]
        secrets = boto3.client("secretsmanager", region_name=REGION)
        secrets.create_secret(
            Name=SECRET_NAME, SecretString=json.dumps({"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_SECRET})
        )
        secrets.create_secret(Name=ID_SECRET_NAME, SecretString=json.dumps({"current": "local-workitem-id-key-" * 2}))
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=WORKTYPES_PARAMETER, Value=json.dumps(self.worktypes), Type="String"
        )
        self.state_machine_arn = create_state_machine(self.sfn, TABLE, function_arn(STEP_FUNCTION))
        os.environ.update(
            {
                "WORKITEMS_TABLE": TABLE,
                "WORKITEM_CALLBACK_QUEUE_URL": self.queue_url,
                "WORKITEM_STATE_MACHINE_ARN": self.state_machine_arn,
                "WORKITEM_SUPERVISOR_TOPIC_ARN": self.topic_arn,
                "WORKITEM_WORKTYPES_PARAMETER": WORKTYPES_PARAMETER,
                "WORKITEM_CALLBACK_ALLOWED_HOSTS": self.callback_hosts,
                "GENESYS_SECRET_NAME": SECRET_NAME,
                "WORKITEM_ID_SECRET_NAME": ID_SECRET_NAME,
                "GENESYS_BASE_URL": self.genesys.url,
                "SECRETS_MAX_AGE_S": "0",
            }
        )
        self._reset()
        self.lambdas = InProcessLambdas({STEP_FUNCTION: handler(STEP_FUNCTION)}).__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            for execution in self.sfn.list_executions(stateMachineArn=self.state_machine_arn)["executions"]:
                if execution["status"] == "RUNNING":
                    self.sfn.stop_execution(executionArn=execution["executionArn"])
        finally:
            self.lambdas.__exit__(exc_type, exc, tb)
            self.genesys.close()
            self._stop_patch.stop()
            self._mock.stop()
            os.environ.clear()
            os.environ.update(self._saved_env)
            self._reset()

    @staticmethod
    def _reset() -> None:
        from cxbridge.core import wiring  # noqa: PLC0415 - after the environment is set

        wiring.reset()

    # ---- driving it ---------------------------------------------------------------------------------

    def api(
        self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None, caller: str = "source-crm"
    ) -> tuple[int, Any]:
        """One request of ``caller`` to the workitems API function; the status and the JSON answer."""
        event = rest_event(method, path, body, query, caller)
        result = handler("WorkitemsApiFunction")(event, LocalContext(function_name="WorkitemsApiFunction"))
        return int(result["statusCode"]), json.loads(result["body"]) if result.get("body") else None

    def post_event(self, event_body: dict[str, Any]) -> tuple[int, Any]:
        """A Genesys workitem event to ``POST /genesys/workitems``."""
        event = rest_event("POST", "/genesys/workitems", event_body, None, "genesys")
        result = handler("WorkitemEventsFunction")(event, LocalContext(function_name="WorkitemEventsFunction"))
        return int(result["statusCode"]), json.loads(result["body"])

    def run_callbacks(self) -> dict[str, Any]:
        """Receive the callback queue once and hand the batch to the callback worker."""
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
        ).get("Messages", [])
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m["Attributes"],
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:workitem-callback",
                "awsRegion": REGION,
            }
            for m in received
        ]
        if not records:
            return {"batchItemFailures": [], "received": 0}
        fn = handler("WorkitemCallbackFunction")
        result: dict[str, Any] = fn({"Records": records}, LocalContext(function_name="WorkitemCallbackFunction"))
        failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
        for m in received:
            if m["MessageId"] not in failed:  # what the event source mapping does with a success
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        return {**result, "received": len(records)}

    def row(self, workitem_id: str) -> dict[str, Any]:
        item = self.dynamodb.get_item(TableName=TABLE, Key={"workitemId": {"S": workitem_id}})["Item"]
        return {k: next(iter(v.values())) for k, v in item.items()}

    def wait_for(self, execution_arn: str, timeout_s: float = 20.0) -> str:
        """The execution's final status (it must end within ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        while True:
            status = str(self.sfn.describe_execution(executionArn=execution_arn)["status"])
            if status != "RUNNING" or time.monotonic() > deadline:
                return status
            time.sleep(0.05)

    def transitions(self, execution_arn: str) -> list[str]:
        """The states an execution entered, in order (each entry is one billed state transition)."""
        events = self.sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


def rest_event(
    method: str, path: str, body: Any, query: dict[str, str] | None, client_id: str = "source-crm"
) -> dict[str, Any]:
    """The REST API (v1) proxy event API Gateway sends for one request of an authorized caller."""
    text = None if body is None else (body if isinstance(body, str) else json.dumps(body))
    headers = {"Content-Type": "application/json"}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/local{path}",
            "stage": "local",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "127.0.0.1"},
            "authorizer": sample_authorizer(client_id),
        },
        "body": text,
        "isBase64Encoded": False,
    }
