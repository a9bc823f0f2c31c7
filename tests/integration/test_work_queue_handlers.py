"""Automation Anywhere in the work-queue mode through the handlers (issue 16): ingest, the worker wired from
its settings and documents (``AA_MODE=workqueue``), one work item per call however often the job comes,
and the bot's result through ``POST /bots/callback``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import boto3
import pytest

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


@pytest.fixture
def room(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[AutomationAnywhereSandbox]:
    with AutomationAnywhereSandbox(seed=4) as aa, GenesysSandbox(seed=4) as genesys:
        config = {
            "control_room_url": aa.url,
            "work_queue": {"queue_id": 12, "work_item": {"callId": "conversation_id"}},
        }
        boto3.client("ssm").put_parameter(Name="/cxbridge/crm/config", Type="String", Value=json.dumps(config))
        secrets = boto3.client("secretsmanager")
        secrets.create_secret(
            Name="cxbridge/crm", SecretString=json.dumps({"username": aa.username, "api_key": aa.api_key})
        )
        g_creds = {"client_id": genesys.client_id, "client_secret": genesys.client_secret}
        secrets.create_secret(Name="cxbridge/genesys", SecretString=json.dumps(g_creds))
        for function in ("CrmSyncWorkerFunction", "BotCallbackFunction"):
            for name, value in stack.resources.function_environment(function).items():
                monkeypatch.setenv(name, value)
        monkeypatch.setenv("CRM_SINK", "automation_anywhere")
        monkeypatch.setenv("AA_MODE", "workqueue")
        monkeypatch.setenv("GENESYS_BASE_URL", genesys.url)
        monkeypatch.setenv("BOT_CALLBACK_URL", "http://127.0.0.1:9/bots/callback")
        yield aa


def sync_one_call(stack: Stack, copies: int) -> None:
    for _ in range(copies):
        stack.invoke("ingest_acw", api_gateway_event("/genesys/conversations/acw", body("acw-a")))
    stack.relay()
    SqsEventSource(stack.sqs, stack.queue_url, batch_size=10).poll(lambda e: stack.invoke("crm_sync_worker", e))


def result(stack: Stack, item: dict[str, object], status: str, token: str) -> dict[str, object]:
    payload = {"queueId": 12, "workItemId": item["id"], "status": status, "result": "ok"}
    event = request("/bots/callback", payload)
    event["headers"] = {**event["headers"], callback_token.HEADER: token}
    answer: dict[str, object] = stack.invoke("bot_callback", event)
    return answer


def test_one_work_item_per_call_and_its_result_through_the_callback_route(
    stack: Stack, room: AutomationAnywhereSandbox
) -> None:
    sync_one_call(stack, copies=3)
    sync_one_call(stack, copies=1)  # a later redelivery of the same version

    (item,) = room.state()["workitems"]
    assert item["json"]["callId"] == CONVERSATION
    token = str(item["json"]["cxbCallbackToken"])
    record = stack.record(CONVERSATION)
    assert record is not None
    assert record["syncStatus"]["S"] == "pending"

    forged = result(stack, item, "COMPLETED", callback_token.sign(b"not-our-key" * 3, CONVERSATION))
    assert forged["statusCode"] == 403
    answer = result(stack, item, "COMPLETED", token)

    assert answer["statusCode"] == 200
    assert json.loads(str(answer["body"])) == {"status": "synced", "deploymentId": f"wlm:12:{item['id']}"}
    record = stack.record(CONVERSATION)
    assert record is not None
    assert record["syncStatus"]["S"] == "synced"


def test_a_callback_naming_neither_a_run_nor_a_work_item_is_400(stack: Stack, room: AutomationAnywhereSandbox) -> None:
    event = request("/bots/callback", {"workItemId": "7", "status": "COMPLETED"})
    event["headers"][callback_token.HEADER] = "x"
    response = stack.invoke("bot_callback", event)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["errors"][0]["field"] == "deploymentId"
