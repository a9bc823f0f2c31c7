"""Automation Anywhere as the CRM: a bot deployed once per call, settled by the Control Room's callback."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import boto3
import pytest

from cxbridge.core.keys import keys_from
from cxbridge.crm import callback_token
from local.sandboxes.automation_anywhere import AutomationAnywhereSandbox
from local.sandboxes.genesys import GenesysSandbox
from local.sqs_source import SqsEventSource
from scripts.build_events import api_gateway_event
from tests.builders import body, request

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.integration.conftest import Stack

CONVERSATION = body("acw-a")["conversationId"]
CONTROL_ROOM: list[AutomationAnywhereSandbox] = []  # the running sandbox, whose runs hold their callback headers


@pytest.fixture
def control_room(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[AutomationAnywhereSandbox]:
    with AutomationAnywhereSandbox(seed=2) as aa, GenesysSandbox(seed=2) as genesys:
        config = {
            "control_room_url": aa.url,
            "mapping": {"file_id": 87, "run_as_user_ids": [3], "bot_input": {"sCallId": "conversation_id"}},
        }
        boto3.client("ssm").put_parameter(Name="/cxbridge/crm/config", Type="String", Value=json.dumps(config))
        secrets = boto3.client("secretsmanager")
        aa_creds = {"username": aa.username, "api_key": aa.api_key}
        secrets.create_secret(Name="cxbridge/crm", SecretString=json.dumps(aa_creds))
        g_creds = {"client_id": genesys.client_id, "client_secret": genesys.client_secret}
        secrets.create_secret(Name="cxbridge/genesys", SecretString=json.dumps(g_creds))
        for function in ("CrmSyncWorkerFunction", "BotCallbackFunction"):
            for name, value in stack.resources.function_environment(function).items():
                monkeypatch.setenv(name, value)
        monkeypatch.setenv("CRM_SINK", "automation_anywhere")
        monkeypatch.setenv("GENESYS_BASE_URL", genesys.url)
        monkeypatch.setenv("BOT_CALLBACK_URL", "http://127.0.0.1:9/bots/callback")
        CONTROL_ROOM.append(aa)
        try:
            yield aa
        finally:
            CONTROL_ROOM.clear()


def deploy_for_one_call(stack: Stack, copies: int) -> None:
    for _ in range(copies):
        stack.invoke("ingest_acw", api_gateway_event("/genesys/conversations/acw", body("acw-a")))
    stack.relay()
    SqsEventSource(stack.sqs, stack.queue_url, batch_size=10).poll(lambda e: stack.invoke("crm_sync_worker", e))


def callback(stack: Stack, deployment_id: str, status: str, token: str | None = None) -> int:
    """The Control Room's callback, with the headers the run was deployed with (or ``token`` instead)."""
    event = request("/bots/callback", {"deploymentId": deployment_id, "status": status, "botOutput": {}})
    runs = {r["deploymentId"]: r for r in CONTROL_ROOM[0].state()["deployments"]} if CONTROL_ROOM else {}
    headers = dict(runs[deployment_id]["callbackInfo"]["headers"]) if deployment_id in runs else {}
    if token is not None:
        headers = {callback_token.HEADER: token} if token else {}
    event["headers"] = {**event["headers"], **headers}
    code: int = stack.invoke("bot_callback", event)["statusCode"]
    return code


def test_one_deployment_per_call_with_typed_input_and_the_callback_header(
    stack: Stack, control_room: AutomationAnywhereSandbox
) -> None:
    deploy_for_one_call(stack, copies=3)
    (run,) = control_room.state()["deployments"]
    assert run["botInput"] == {"sCallId": {"type": "STRING", "string": CONVERSATION}}
    # the run's own token, for this call: no key of our API is handed to the Control Room
    ((header, token),) = run["callbackInfo"]["headers"].items()
    assert header == callback_token.HEADER
    name = stack.resources.function_environment("BotCallbackFunction")["BOT_CALLBACK_SECRET_NAME"]
    keys = keys_from(json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]))
    assert token.encode() != keys.current
    assert callback_token.valid(token, keys, CONVERSATION)
    assert not callback_token.valid(token, keys, "another-conversation")
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


def test_a_callback_without_its_token_is_401_and_with_another_is_403_and_changes_nothing(
    stack: Stack, control_room: AutomationAnywhereSandbox
) -> None:
    deploy_for_one_call(stack, copies=1)
    (run,) = control_room.state()["deployments"]
    assert callback(stack, run["deploymentId"], "COMPLETED", token="") == 401
    forged = callback_token.sign(b"not-the-stack-key-" * 2, CONVERSATION)
    assert callback(stack, run["deploymentId"], "COMPLETED", token=forged) == 403
    item = stack.record(CONVERSATION)
    assert item is not None
    assert item["syncStatus"] != {"S": "synced"}
    # an unknown deployment gets the same answer as a wrong token: nothing is learnt about what exists
    assert callback(stack, "never-deployed", "COMPLETED", token=forged) == 403


def test_the_previous_key_still_settles_runs_deployed_before_a_rotation(
    stack: Stack, control_room: AutomationAnywhereSandbox
) -> None:
    deploy_for_one_call(stack, copies=1)
    (run,) = control_room.state()["deployments"]
    name = stack.resources.function_environment("BotCallbackFunction")["BOT_CALLBACK_SECRET_NAME"]
    secrets = boto3.client("secretsmanager")
    old = json.loads(secrets.get_secret_value(SecretId=name)["SecretString"])["current"]
    secrets.put_secret_value(SecretId=name, SecretString=json.dumps({"current": "n" * 40, "previous": old}))
    from cxbridge.core import wiring

    wiring.reset()
    assert callback(stack, run["deploymentId"], "COMPLETED") == 200


def test_bad_bodies_are_400(stack: Stack, control_room: AutomationAnywhereSandbox) -> None:
    event = request("/bots/callback", {"status": "COMPLETED"})
    event["headers"][callback_token.HEADER] = "x"
    response = stack.invoke("bot_callback", event)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["errors"][0]["field"] == "deploymentId"
