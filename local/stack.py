"""The whole system on one machine: AWS on a moto server, every function in its own process, wired by ``template.yaml``.

``LocalStack`` reads the template and builds what it declares: tables, queues (with their redrive),
topics and the SLA state machine on a moto server (``AWS_ENDPOINT_URL`` points every client at it);
every ``Api`` route on an HTTP front with the API key check; every SQS and DynamoDB-stream event source
as a poller with the batch size, partial failures and visibility the template gives it; every schedule
as a timer (and on demand). Every function runs in its own processes (``local.function_host``), one per
concurrent container, with the environment the template gives it. Genesys and the CRM are sandboxes on
127.0.0.1. A route or queue added to the template appears here with no second edit.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from unittest import mock
from urllib.request import Request, urlopen

import boto3
from moto.server import ThreadedMotoServer
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from cxbridge_cli.queues import peek_all
from local.auth import LocalAuthority, client_secret
from local.cloudformation import register_stack
from local.function_host import Container
from local.http_front import api_routes, make_server
from local.lambda_context import LocalContext
from local.moto_atomic import make_dynamodb_requests_atomic
from local.moto_speed import make_moto_faster
from local.resources import ACCOUNT, REGION, LocalResources, create_all
from local.sandboxes.automation_anywhere import AutomationAnywhereSandbox
from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET
from local.sandboxes.dynamics import DynamicsSandbox
from local.sandboxes.genesys import GenesysSandbox
from local.sandboxes.salesforce import SalesforceSandbox
from local.sqs_source import SqsEventSource
from local.streams import StreamPump
from local.template import ROOT, load_template, resources_of_type
from local.toil_data import PLANTED, wrapup_code_names
from local.workitems import InProcessLambdas, _patient_stop, statuses_of

if TYPE_CHECKING:
    from collections.abc import Callable
    from http.server import ThreadingHTTPServer

CRM_CONFIG_PARAMETER = "/cxbridge/crm/config"
# The demo's Salesforce mapping: a custom object keyed by the conversation id (External ID + Unique).
CRM_MAPPING = {
    "object": "Call_Log__c",
    "external_id_field": "CallReference__c",
    "fields": {
        "Disposition__c": "disposition",
        "Duration_Seconds__c": "handle_s",
        "Agent__c": "user_id",
        "Queue__c": "queue_id",
        "Call_Date__c": "call_date",
        "Wrapup_Code__c": "wrapup_code_id",
        "Contact__c": "contact_id",  # the customer's Contact (issue 18), when the lookup found exactly one
    },
}
# What a lookup reads (issue 18): Contacts by phone (SOSL in phone fields), their Name.
CRM_LOOKUP: dict[str, Any] = {"object": "Contact", "fields": {"name": "Name"}}
# The bot the Automation Anywhere stack deploys, and what it is given.
BOT_MAPPING = {
    "file_id": 87,
    "run_as_user_ids": [3],
    "bot_input": {
        "sConversationId": "conversation_id",
        "sDisposition": "disposition",
        "sWrapupCode": "wrapup_code_id",
        "sContent": "content",  # the record content the run was given: a second run of one content is a duplicate
    },
}
# The transcript bot (TRANSCRIPT_MAPPING for the Automation Anywhere sink): deployed without a callback.
TRANSCRIPT_BOT_MAPPING = {
    "file_id": 88,
    "run_as_user_ids": [3],
    "transcript_input": "sTranscript",
    "call_input": "sCallId",
}
# The Automation Anywhere work queue (``aa_mode="workqueue"``, issue 16): the same inputs as work item attributes.
WORK_QUEUE_MAPPING = {
    "queue_id": 12,
    "work_item": {
        "sConversationId": "conversation_id",
        "sDisposition": "disposition",
        "sWrapupCode": "wrapup_code_id",
        "sContent": "content",
    },
}
# The same mapping as a Dataverse table (``crm_sink="dynamics"``), keyed by an alternate key.
DYNAMICS_MAPPING = {
    "entity_set": "cxb_calllogs",
    "logical_name": "cxb_calllog",
    "alternate_key": "cxb_conversationid",
    "fields": {
        "cxb_disposition": "disposition",
        "cxb_handleseconds": "handle_s",
        "cxb_agent": "user_id",
        "cxb_queue": "queue_id",
        "cxb_calldate": "call_date",
        "cxb_wrapupcode": "wrapup_code_id",
        "cxb_Contact@odata.bind": "contact_id",
    },
    "binds": {"cxb_Contact@odata.bind": "contacts"},
}
DYNAMICS_LOOKUP: dict[str, Any] = {"entity_set": "contacts", "id_column": "contactid", "fields": {"name": "fullname"}}
# The customers the CRM sandboxes know (issue 18): a Contact each, found by its number. The demo's calls
# come from these and from UNKNOWN_CUSTOMERS, whom no CRM knows (their calls carry no link).
KNOWN_CUSTOMERS = {f"+1317555{n:04d}": f"Customer {n}" for n in range(100, 140)}
UNKNOWN_CUSTOMERS = [f"+1317555{n:04d}" for n in range(900, 910)]
type CrmSinkName = Literal["salesforce", "dynamics", "automation_anywhere"]
type AaMode = Literal["deploy", "workqueue"]
# Retry quickly on a laptop: the same code paths, shorter waits.
LOCAL_OVERRIDES = {
    "WORKITEM_CALLBACK_ALLOWED_HOSTS": "127.0.0.1,localhost",  # source systems' callbacks in the demo
    "CRM_BACKOFF_BASE_S": "1",
    "CRM_BACKOFF_CAP_S": "4",
    "CRM_BREAKER_COOLDOWN_S": "3",
    "SECRETS_MAX_AGE_S": "0",
    "POWERTOOLS_METRICS_NAMESPACE": "cxbridge",
    "TRANSCRIPT_WAIT_BASE_S": "1",
    "TRANSCRIPT_WAIT_CAP_S": "4",
    "TRANSCRIPT_DEADLINE_S": "600",  # the CRM record of a call may take minutes under the demo's throttling
}


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Schedule:
    """A function's schedule: ``rate(N unit)`` or a daily ``cron(M H * * ? *)``."""

    function: str
    expression: str

    def next_after(self, now: datetime) -> datetime | None:
        rate = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", self.expression)
        if rate:
            unit = rate.group(2).rstrip("s")
            return now + timedelta(**{f"{unit}s": int(rate.group(1))})
        cron = re.fullmatch(r"cron\((\d+) (\d+) \* \* \? \*\)", self.expression)
        if cron:
            at = now.replace(hour=int(cron.group(2)), minute=int(cron.group(1)), second=0, microsecond=0)
            return at if at > now else at + timedelta(days=1)
        return None  # other expressions run on demand only


@dataclass
class LocalStack:
    """Build with ``LocalStack().start()``; ``stop()`` shuts everything down."""

    host: str = "127.0.0.1"
    port: int = 3000
    authority: LocalAuthority = field(default_factory=LocalAuthority)
    seed: int = 0
    poll_interval_s: float = 0.2
    sqs_batch_size: int | None = None  # overrides the template's BatchSize (the fault run wants many requests)
    # The template's CrmSink: which sandbox the worker writes to (Automation Anywhere: the Control Room's bots).
    crm_sink: CrmSinkName = "salesforce"
    # The template's AutomationAnywhereMode: a bot deployed per call, or work items in the sandbox's WLM queue.
    aa_mode: AaMode = "deploy"
    env_overrides: dict[str, str] = field(default_factory=dict)  # applied last (the fault run's short waits)
    resources: LocalResources = field(init=False)
    genesys: GenesysSandbox = field(init=False)
    crm: SalesforceSandbox | DynamicsSandbox = field(init=False)
    control_room: AutomationAnywhereSandbox | None = field(default=None, init=False)
    state_machines: dict[str, str] = field(default_factory=dict, init=False)
    schedules: list[Schedule] = field(default_factory=list, init=False)
    _threads: list[threading.Thread] = field(default_factory=list, init=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False)
    _containers: dict[str, Container] = field(default_factory=dict, init=False)
    _containers_lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _environment: dict[str, str] = field(default_factory=dict, init=False)  # what every function's starts from
    # The context a concurrent container's invocation gets (the fault run shortens some workers' time).
    context_for: Callable[[str, int], LocalContext] = field(
        default=lambda name, timeout_ms: LocalContext(function_name=name, timeout_ms=timeout_ms)
    )

    # ---- set-up -----------------------------------------------------------------------------------

    def start(self) -> LocalStack:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the moto server's request lines
        os.environ["TZ"] = "UTC"  # moto's Wait state compares a UTC timestamp with the local clock
        time.tzset()
        make_dynamodb_requests_atomic()
        make_moto_faster()
        moto_port = self._beside(3)
        self._moto = ThreadedMotoServer(ip_address=self.host, port=moto_port, verbose=False)
        self._moto.start()
        self.moto_url = f"http://{self.host}:{moto_port}"
        os.environ.update(
            MOTO_PORT=str(moto_port),  # where moto's Step Functions service integrations call back
            AWS_ENDPOINT_URL=self.moto_url,
            AWS_DEFAULT_REGION=REGION,
            AWS_ACCESS_KEY_ID="local",  # never a real credential: every call goes to the moto server
            AWS_SECRET_ACCESS_KEY="local",  # noqa: S106
        )
        os.environ.pop("AWS_SESSION_TOKEN", None)
        config = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
        _post_json(f"{self.moto_url}/moto-api/config", config)
        self._patches = [mock.patch.object(ExecutionWorker, "stop", _patient_stop(ExecutionWorker.stop))]
        for patch in self._patches:
            patch.start()

        functions = resources_of_type("AWS::Serverless::Function")
        self._functions = functions
        self._global_timeout = load_template()["Globals"]["Function"].get("Timeout", 3)
        worktypes = json.loads((ROOT / "layers/cxbridge/cxbridge/workitems/worktypes.json").read_text())
        codes = {**DEMO_WRAPUP_CODES, **wrapup_code_names(PLANTED)}
        statuses = statuses_of(worktypes)
        self.genesys = GenesysSandbox(seed=self.seed, wrapup_codes=codes, task_statuses=statuses, port=self._beside(1))
        self.crm = (
            DynamicsSandbox(seed=self.seed, port=self._beside(2))
            if self.crm_sink == "dynamics"
            else SalesforceSandbox(seed=self.seed, port=self._beside(2))
        )
        if self.crm_sink == "automation_anywhere":
            self.control_room = AutomationAnywhereSandbox(seed=self.seed)
        self.resources = create_all(boto3.client("dynamodb"), boto3.client("sqs"))
        self._seed_configuration()
        self._create_state_machines()
        self._environment = dict(os.environ)
        self._lambdas = InProcessLambdas({fn: self._task_invoker(fn) for fn in functions}).__enter__()
        self._start_http()
        self._start_event_sources()
        return self

    def _beside(self, offset: int) -> int:
        """The API's port + ``offset`` (Genesys 1, CRM 2, AWS 3: what ``cxbridge.example.yaml`` and ``--local``
        expect), or any free port when the API's port is chosen by the system (tests)."""
        return self.port + offset if self.port else free_port(self.host)

    def _seed_configuration(self) -> None:
        """What an operator puts in SSM and Secrets Manager before deploying, pointed at the sandboxes."""
        ssm, secrets = boto3.client("ssm"), boto3.client("secretsmanager")
        connection: dict[str, Any] = {"my_domain_url": self.crm.url, "mapping": CRM_MAPPING, "lookup": CRM_LOOKUP}
        if isinstance(self.crm, DynamicsSandbox):
            url, tenant = self.crm.url, self.crm.tenant_id
            connection = {"org_url": url, "tenant_id": tenant, "login_base_url": url, "mapping": DYNAMICS_MAPPING}
            connection["lookup"] = DYNAMICS_LOOKUP
        self._seed_contacts()
        creds = json.dumps({"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_SECRET})
        crm_creds = creds
        if self.control_room is not None:
            connection = {"control_room_url": self.control_room.url, "mapping": BOT_MAPPING}
            if self.aa_mode == "workqueue":
                connection = {"control_room_url": self.control_room.url, "work_queue": WORK_QUEUE_MAPPING}
            crm_creds = json.dumps({"username": "svc_api", "api_key": SANDBOX_SECRET})
        ssm.put_parameter(Name=CRM_CONFIG_PARAMETER, Type="String", Value=json.dumps(connection), Overwrite=True)
        secrets.create_secret(Name="cxbridge/crm", SecretString=crm_creds)
        secrets.create_secret(Name="cxbridge/genesys", SecretString=creds)
        register_stack(boto3.client("cloudformation"), self.resources)

    def _seed_contacts(self) -> None:
        """The CRM sandbox's contacts: one per known customer, its number in a phone field."""
        if isinstance(self.crm, DynamicsSandbox):
            contacts = self.crm.rows.setdefault(DYNAMICS_LOOKUP["entity_set"], {})
            for n, (number, name) in enumerate(KNOWN_CUSTOMERS.items()):
                contact_id = str(uuid.UUID(int=0xC0_0000 + n))
                contacts[f"contactid={contact_id}"] = {"contactid": contact_id, "fullname": name, "telephone1": number}
        else:
            contacts = self.crm.records.setdefault(CRM_LOOKUP["object"], {})
            for n, (number, name) in enumerate(KNOWN_CUSTOMERS.items()):
                contacts[f"contact-{n}"] = {"Id": f"003SB{n:013d}", "Name": name, "Phone": number}

    def contact_ids(self) -> dict[str, str]:
        """The CRM sandbox's contacts: number → the contact's id (what a call of that number links to)."""
        if isinstance(self.crm, DynamicsSandbox):
            rows = self.crm.state()["rows"].get(DYNAMICS_LOOKUP["entity_set"], {}).values()
            return {row["telephone1"]: row["contactid"] for row in rows}
        records = self.crm.state()["records"].get(CRM_LOOKUP["object"], {}).values()
        return {record["Phone"]: record["Id"] for record in records}

    def assign_customers(self, conversation_ids: list[str], seed: int = 0) -> dict[str, str]:
        """Give each conversation a caller in the Genesys sandbox: mostly known customers, some unknown
        numbers, a few with no customer at all (Genesys answers 404). Answers conversation id → number."""
        rnd = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
        known, assigned = list(KNOWN_CUSTOMERS), {}
        for cid in conversation_ids:
            draw = rnd.random()
            if draw < 0.05:
                continue
            number = rnd.choice(UNKNOWN_CUSTOMERS) if draw < 0.2 else rnd.choice(known)
            assigned[cid] = number
            self.genesys.customer_numbers[cid] = f"tel:{number}"
        return assigned

    def crm_links(self) -> dict[str, str]:
        """Conversation id → the contact its CRM record links to (records without a link left out)."""
        state = self.crm.state()
        if isinstance(self.crm, DynamicsSandbox):
            rows = state["rows"].get(DYNAMICS_MAPPING["entity_set"], {})
            bind = re.compile(r"/contacts\((?P<id>[^)]+)\)")
            binds = {key.partition("=")[2]: str(row.get("cxb_Contact@odata.bind", "")) for key, row in rows.items()}
            return {cid: m["id"] for cid, value in binds.items() if (m := bind.fullmatch(value)) is not None}
        records = state["records"].get(CRM_MAPPING["object"], {})
        return {cid: r["Contact__c"] for cid, r in records.items() if r.get("Contact__c")}

    def _create_state_machines(self) -> None:
        sfn = boto3.client("stepfunctions")
        for logical_id, machine in resources_of_type("AWS::Serverless::StateMachine").items():
            props = machine["Properties"]
            definition = (ROOT / props["DefinitionUri"]).read_text()
            for key, value in props.get("DefinitionSubstitutions", {}).items():
                definition = definition.replace(f"${{{key}}}", str(self.resources.resolve(value)))
            arn = sfn.create_state_machine(
                name=str(self.resources.resolve(props.get("Name", logical_id))),
                definition=definition,
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/{logical_id}",
                type=props.get("Type", "STANDARD"),
            )["stateMachineArn"]
            self.state_machines[logical_id] = arn
        self.resources.extra_refs.update(self.state_machines)

    # ---- invoking -----------------------------------------------------------------------------------

    def environment(self, logical_id: str) -> dict[str, str]:
        """A function's process environment: the template's variables for it, then the laptop's short waits."""
        return {
            **self._environment,
            **self.resources.function_environment(logical_id),
            **LOCAL_OVERRIDES,
            "GENESYS_BASE_URL": self.genesys.url,
            "CRM_SINK": self.crm_sink,
            **({"TRANSCRIPT_MAPPING": json.dumps(TRANSCRIPT_BOT_MAPPING)} if self.control_room is not None else {}),
            **self.env_overrides,
            "BOT_CALLBACK_URL": f"http://{self.host}:{self.port}/bots/callback",
            "AA_MODE": self.aa_mode,
        }

    def container(self, logical_id: str, number: int = 0) -> Container:
        """One of the function's containers (a process, started on its first invocation)."""
        key = f"{logical_id}#{number}"
        with self._containers_lock:
            if key not in self._containers:
                props = self._functions[logical_id]["Properties"]
                package = props["CodeUri"].strip("/").replace("/", ".")
                handler = f"{package}.{props['Handler']}"
                self._containers[key] = Container(logical_id, handler, self.environment(logical_id))
            return self._containers[key]

    def concurrency(self, logical_id: str) -> int:
        """Concurrent invocations the template allows an SQS-triggered function (``MaximumConcurrency``)."""
        for event in self._functions[logical_id]["Properties"].get("Events", {}).values():
            scaling = event.get("Properties", {}).get("ScalingConfig", {})
            if event["Type"] == "SQS" and "MaximumConcurrency" in scaling:
                return int(self.resources.resolve(scaling["MaximumConcurrency"]))
        return 1

    def timeout_ms(self, logical_id: str) -> int:
        """The function's ``Timeout`` (or the template's global one), for its context's time left."""
        timeout = self._functions[logical_id]["Properties"].get("Timeout") or self._global_timeout
        return int(self.resources.resolve(timeout)) * 1000

    def _task_invoker(self, logical_id: str) -> Callable[[dict[str, Any], Any], Any]:
        """What a Step Functions task's Lambda invoke runs: the function's first container."""
        return lambda event, _context: self.invoke(logical_id, event)

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """Invoke a function as its event source would, in its first container."""
        return self.container(logical_id).invoke(event, self.timeout_ms(logical_id))

    def invoke_in(self, logical_id: str, container: int, event: dict[str, Any]) -> Any:
        """Invoke one of the function's concurrent containers, with the context ``context_for`` gives it."""
        timeout_ms = self.timeout_ms(logical_id)
        context = self.context_for(logical_id, timeout_ms)
        return self.container(logical_id, container).invoke(event, context.timeout_ms, kill_after_ms=timeout_ms)

    # ---- event sources ------------------------------------------------------------------------------

    def _start_http(self) -> None:
        self._server: ThreadingHTTPServer = make_server(
            self.host, self.port, self.authority, self.invoke, self._control
        )
        self.port = self._server.server_address[1]
        if self.control_room is not None:  # the WLM queue's bot posts its results there too
            self.control_room.workitem_callback_url = f"http://{self.host}:{self.port}/bots/callback"
        self._spawn(self._server.serve_forever)

    def _control(self, method: str, path: str) -> dict[str, Any] | None:
        """The stack's own routes: ``GET /__local/state``, ``POST /__local/schedules/<Function>``."""
        if (method, path) == ("GET", "/__local/state"):
            return self.state()
        match = re.fullmatch(r"/__local/schedules/(\w+)", path)
        if method == "POST" and match and match.group(1) in {s.function for s in self.schedules}:
            return {"result": self.run_schedule(match.group(1))}
        return None

    def _start_event_sources(self) -> None:
        for logical_id, fn in self._functions.items():
            for event in fn["Properties"].get("Events", {}).values():
                props = event.get("Properties", {})
                if event["Type"] == "SQS":
                    queue = props["Queue"]["Fn::GetAtt"][0]
                    batch = self.sqs_batch_size or int(self.resources.resolve(props.get("BatchSize", 10)))
                    window = float(self.resources.resolve(props.get("MaximumBatchingWindowInSeconds", 0)))
                    for container in range(self.concurrency(logical_id)):
                        source = SqsEventSource(boto3.client("sqs"), self.resources.queue_urls[queue], batch, window)
                        if self.concurrency(logical_id) == 1:
                            self._spawn(self._loop, lambda s=source, f=logical_id: s.poll(lambda e: self.invoke(f, e)))
                        else:  # MaximumConcurrency pollers, each its own container: their races show here
                            step = self._container_step(source, logical_id, container)
                            self._spawn(self._loop, step)
                elif event["Type"] == "DynamoDB":
                    table = self.resources.tables[props["Stream"]["Fn::GetAtt"][0]]
                    pump = StreamPump(
                        boto3.client("dynamodb"),
                        boto3.client("dynamodbstreams"),
                        table,
                        int(self.resources.resolve(props.get("BatchSize", 100))),
                        max_retries=props.get("MaximumRetryAttempts"),
                        on_failure=self._on_failure_destination(props),
                    )
                    self._spawn(self._loop, lambda p=pump, f=logical_id: p.pump(lambda e: self.invoke(f, e)))
                elif event["Type"] in {"Schedule", "ScheduleV2"}:
                    expression = str(self.resources.resolve(props.get("Schedule") or props.get("ScheduleExpression")))
                    self.schedules.append(Schedule(logical_id, expression))
        if self.schedules:
            self._spawn(self._timer)

    def _on_failure_destination(self, props: dict[str, Any]) -> Callable[[dict[str, Any]], None] | None:
        """Send an event source's on-failure record to its SQS destination, as Lambda does."""
        destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        if destination is None:
            return None
        url = self.resources.queue_urls[destination["Fn::GetAtt"][0]]
        sqs = boto3.client("sqs")

        def send(record: dict[str, Any]) -> None:
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))

        return send

    def _container_step(self, source: SqsEventSource, logical_id: str, container: int) -> Callable[[], int]:
        return lambda: source.poll(lambda e: self.invoke_in(logical_id, container, e))

    def _spawn(self, target: Callable[..., Any], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _loop(self, step: Callable[[], int]) -> None:
        while not self._stopping.is_set():
            try:
                busy = step()
            except Exception as exc:  # noqa: BLE001 - a poller must survive what a handler throws
                print(f"local stack: event source error: {type(exc).__name__}: {exc}")
                busy = 0
            if not busy:
                self._stopping.wait(self.poll_interval_s)

    def _timer(self) -> None:
        due = {s.function: s.next_after(datetime.now(UTC)) for s in self.schedules}
        while not self._stopping.wait(1.0):
            now = datetime.now(UTC)
            for schedule in self.schedules:
                at = due[schedule.function]
                if at is not None and now >= at:
                    self.run_schedule(schedule.function)
                    due[schedule.function] = schedule.next_after(now)

    def run_schedule(self, logical_id: str, time_: datetime | None = None) -> Any:
        """Invoke a scheduled function now, with the event EventBridge Scheduler would send."""
        when = (time_ or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {
            "version": "0",
            "id": f"local-{time.time_ns()}",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT,
            "time": when,
            "region": REGION,
            "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{logical_id}"],
            "detail": {},
        }
        return self.invoke(logical_id, event)

    # ---- inspection and shutdown ---------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Counts of what the stack holds."""
        sqs = boto3.client("sqs")
        queues = {}
        for logical_id, url in self.resources.queue_urls.items():
            attrs = sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            queues[logical_id] = {k.removeprefix("ApproximateNumberOf"): int(v) for k, v in attrs.items()}
        dynamodb = boto3.client("dynamodb")
        tables = {
            logical_id: dynamodb.scan(TableName=name, Select="COUNT")["Count"]
            for logical_id, name in self.resources.tables.items()
        }
        return {"tables": tables, "queues": queues, "crm": self.crm.state()["requests"]}

    def crm_rows(self) -> dict[str, str]:
        """What the CRM sandbox holds: conversation id → its row's id."""
        state = self.crm.state()
        if isinstance(self.crm, DynamicsSandbox):
            rows = state["rows"].get(DYNAMICS_MAPPING["entity_set"], {})
            return {key.partition("=")[2]: row["id"] for key, row in rows.items()}
        return {cid: record["Id"] for cid, record in state["records"].get(CRM_MAPPING["object"], {}).items()}

    def crm_write_requests(self) -> int:
        """Write requests the CRM sandbox received (Dataverse: bulk, single and its table check)."""
        requests: dict[str, int] = self.crm.state()["requests"]
        return sum(requests.get(route, 0) for route in ("upsert", "upsert_multiple", "message_filters"))

    def bearer(self, client_id: str) -> str:
        """An ``Authorization`` header value for a local caller (what its token request would answer)."""
        return f"Bearer {self.authority.issue(client_id)}"

    def dead_letters(self, queue: str) -> list[dict[str, Any]]:
        """The messages of a dead-letter queue with their reasons, read without consuming them."""
        return peek_all(boto3.client("sqs"), self.resources.queue_urls[queue])

    def endpoints(self) -> list[str]:
        base = f"http://{self.host}:{self.port}"
        lines = [f"API            {base}   (header Authorization: Bearer <token from POST {base}/oauth2/token>)"]
        lines += [f"  caller {c:12} secret {client_secret(c)}" for c in sorted(self.authority.clients)]
        lines += [f"  {r.method:6} {base}{r.path}" for r in sorted(api_routes(), key=lambda r: r.path)]
        lines += [f"  GET    {base}/__local/state"]
        lines += [f"  POST   {base}/__local/schedules/{s.function}   ({s.expression})" for s in self.schedules]
        lines += [
            f"AWS (moto)     {self.moto_url}   (aws --endpoint-url {self.moto_url} dynamodb list-tables)",
            f"Genesys        {self.genesys.url}   (state: {self.genesys.url}/__sandbox/state)",
            f"CRM            {self.crm.url}   (state: {self.crm.url}/__sandbox/state, knobs: POST /__sandbox/config)",
        ]
        return lines

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        for thread in self._threads:
            thread.join(timeout=5)
        self._lambdas.__exit__(None, None, None)
        for container in self._containers.values():
            container.stop()
        for patch in self._patches:
            patch.stop()
        self.genesys.close()
        self.crm.close()
        if self.control_room is not None:
            self.control_room.close()
        _post_json(f"{self.moto_url}/moto-api/reset", {})  # moto's state is per process: the next stack starts empty
        self._moto.stop()


def _post_json(url: str, body: Any) -> None:
    request = Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST")  # noqa: S310
    with urlopen(request, timeout=5):  # noqa: S310 - our own moto server on 127.0.0.1
        pass


# Wrap-up codes of the demo org: id → name (the CRM shows names).
DEMO_WRAPUP_CODES = {
    "ad1b7e3c-6a2f-4d5e-9b8c-0f1e2d3c4b5a": "Billing question",
    "5e4d3c2b-1a09-4f8e-a7d6-c5b4a3928170": "Sale closed",
}
