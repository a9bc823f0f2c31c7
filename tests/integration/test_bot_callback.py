"""Automation Anywhere as the CRM: a bot deployed once per call, settled by the Control Room's callback."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import boto3
import pytest

from local.sandboxes.automation_anywhere import AutomationAnywhereSandbox
from local.sandboxes.genesys import GenesysSandbox
from local.sqs_source import SqsEventSource
from scripts.build_events import api_gateway_event
from tests.builders import body, request

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.integration.conftest import Stack

CONVERSATION = body("acw-a")["conversationId"]


@pytest.fixture
def control_room(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[AutomationAnywhereSandbox]:
    with AutomationAnywhereSandbox(seed=2) as aa, GenesysSandbox(seed=2) as genesys:
        config = {
            "control_room_url": aa.url,
            "mapping": {"file_id": 87, "run_as_user_ids": [3], "bot_input": {"sCallId": "conversation_id"}},
        }
        boto3.client("ssm").put_parameter(Name="/cxbridge/crm/config", Type="String", Value=json.dumps(config))
        secrets = boto3.client("secretsmanager")
        aa_creds = {"username": aa.username, "api_key": aa.api_key, "callback_api_key": "cb-key"}
        secrets.create_secret(Name="cxbridge/crm", SecretString=json.dumps(aa_creds))
        g_creds = {"client_id": genesys.client_id, "client_secret": genesys.client_secret}
        secrets.create_secret(Name="cxbridge/genesys", SecretString=json.dumps(g_creds))
        for name, value in stack.resources.function_environment("CrmSyncWorkerFunction").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("CRM_SINK", "automation_anywhere")
        monkeypatch.setenv("GENESYS_BASE_URL", genesys.url)
        monkeypatch.setenv("BOT_CALLBACK_URL", "http://127.0.0.1:9/bots/callback")
        yield aa


def deploy_for_one_call(stack: Stack, copies: int) -> None:
    for _ in range(copies):
        stack.invoke("ingest_acw", api_gateway_event("/genesys/conversations/acw", body("acw-a")))
    stack.relay()
    SqsEventSource(stack.sqs, stack.queue_url, batch_size=10).poll(lambda e: stack.invoke("crm_sync_worker", e))


def callback(stack: Stack, deployment_id: str, status: str) -> int:
    event = request("/bots/callback", {"deploymentId": deployment_id, "status": status, "botOutput": {}})
    code: int = stack.invoke("bot_callback", event)["statusCode"]
    return code


def test_one_deployment_per_call_with_typed_input_and_the_callback_header(
    stack: Stack, control_room: AutomationAnywhereSandbox
) -> None:
    deploy_for_one_call(stack, copies=3)
    (run,) = control_room.state()["deployments"]
    assert run["botInput"] == {"sCallId": {"type": "STRING", "string": CONVERSATION}}
    assert run["callbackInfo"]["headers"] == {"x-api-key": "cb-key"}
    # a redelivered job does not deploy a second bot
    stack.sqs.send_message(
        QueueUrl=stack.queue_url, MessageBody=json.dumps({"conversationId": CONVERSATION, "recordVersion": 1})
    )
    SqsEventSource(stack.sqs, stack.queue_url).poll(lambda e: stack.invoke("crm_sync_worker", e))
    assert len(control_room.state()["deployments"]) == 1


def test_completed_run_marks_the_call_synced(stack: Stack, control_room: AutomationAnywhereSandbox) -> None:
    deploy_for_one_call(stack, copies=1)
    (run,) = control_room.state()["deployments"]
    assert callback(stack, run["deploymentId"], "COMPLETED") == 200
    item = stack.record(CONVERSATION)
    assert item is not None
    assert item["syncStatus"] == {"S": "synced"}


def test_failed_run_marks_the_call_failed_and_dead_letters_the_job(
    stack: Stack, control_room: AutomationAnywhereSandbox
) -> None:
    deploy_for_one_call(stack, copies=1)
    (run,) = control_room.state()["deployments"]
    assert callback(stack, run["deploymentId"], "RUN_FAILED") == 200
    item = stack.record(CONVERSATION)
    assert item is not None
    assert item["syncStatus"] == {"S": "failed"}
    (dead,) = stack.sqs.receive_message(QueueUrl=stack.dlq_url, MessageAttributeNames=["All"])["Messages"]
    assert dead["MessageAttributes"]["reason"]["StringValue"] == "bot:RUN_FAILED"
    assert json.loads(dead["Body"])["conversationId"] == CONVERSATION


def test_callback_for_an_unknown_deployment_is_404_and_bad_bodies_are_400(
    stack: Stack, control_room: AutomationAnywhereSandbox
) -> None:
    assert callback(stack, "never-deployed", "COMPLETED") == 404
    response = stack.invoke("bot_callback", request("/bots/callback", {"status": "COMPLETED"}))
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["errors"][0]["field"] == "deploymentId"
