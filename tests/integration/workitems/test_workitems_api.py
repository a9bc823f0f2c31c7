"""The workitem routes end to end on moto: capture, task list, lifecycle, Genesys events, the sync-back."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.integration.workitems.conftest import capture_body

if TYPE_CHECKING:
    from local.workitems import WorkitemStack
    from tests.unit.adapters.support import CallbackReceiver


def created(stack: WorkitemStack, receiver: CallbackReceiver | None = None, **changes: Any) -> dict[str, Any]:
    status, body = stack.api("POST", "/workitems", capture_body(receiver, sla={"durationSeconds": 3600}, **changes))
    assert status == 201, body
    return dict(body)


def test_capture_answers_the_task_list_row_and_a_retry_answers_the_same(stack: WorkitemStack) -> None:
    first = created(stack, priority=40)
    status, again = stack.api("POST", "/workitems", capture_body(sla={"durationSeconds": 3600}))

    assert status == 200
    assert again["id"] == first["id"]
    assert stack.genesys.requests("workitem_create") == 1
    assert first["priority"] == 40
    assert (first["status"], first["statusId"], first["queueId"], first["externalTag"]) == (
        "Open",
        "st-open",
        "queue-a",
        "CASE-0042",
    )
    assert first["genesysWorkitemId"] in stack.genesys.state()["workitems"]
    assert stack.row(first["id"])["executionArn"].endswith(f":{first['id']}-0")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": "ab"}, {"name"}),
        ({"surprise": 1}, {"surprise"}),
        ({"sla": {"dueAt": "2030-01-01T00:00:00Z", "durationSeconds": 5}}, {"sla"}),
        ({"priority": 25_000_001}, {"priority"}),
        ({"worktype": "unknown"}, {"worktype"}),
        ({"customFields": {"claim_id_identifier": 7}}, {"customFields.claim_id_identifier"}),
        ({"callbackUrl": "https://example.org/hook"}, {"callbackUrl"}),
    ],
)
def test_bad_input_is_a_400_naming_the_fields(stack: WorkitemStack, body: dict[str, Any], fields: set[str]) -> None:
    status, answer = stack.api("POST", "/workitems", capture_body(**body))

    assert status == 400, answer
    assert {e["field"] for e in answer["errors"]} >= fields
    assert stack.genesys.requests("workitem_create") == 0


def test_a_body_that_is_not_json_is_a_400_and_not_a_json_type_a_415(stack: WorkitemStack) -> None:
    status, answer = stack.api("POST", "/workitems", "{not json")
    assert (status, answer["errors"][0]["field"]) == (400, "body")

    # A multipart type without its boundary made the resolver's form parser fail with a 500 (schemathesis).
    for content_type in ("text/plain", "multipart/form-data", "application/x-www-form-urlencoded"):
        assert _post_as(stack, content_type) == 415, content_type
    assert stack.genesys.requests("workitem_create") == 0


def _post_as(stack: WorkitemStack, content_type: str) -> int:
    from local.lambda_context import LocalContext
    from local.workitems import handler, rest_event

    event = rest_event("POST", "/workitems", "name=x", None)
    event["headers"]["Content-Type"] = content_type
    result = handler("WorkitemsApiFunction")(event, LocalContext(function_name="WorkitemsApiFunction"))
    return int(result["statusCode"])


def test_a_genesys_throttle_longer_than_the_budget_is_a_503_with_retry_after(stack: WorkitemStack) -> None:
    stack.genesys.configure(task_throttle_next=1, retry_after_s=30)

    from local.lambda_context import LocalContext
    from local.workitems import handler, rest_event

    event = rest_event("POST", "/workitems", capture_body(), None)
    result = handler("WorkitemsApiFunction")(event, LocalContext(function_name="WorkitemsApiFunction"))

    assert result["statusCode"] == 503
    assert result["multiValueHeaders"]["Retry-After"] == ["30"]
    status, _ = stack.api("POST", "/workitems", capture_body())  # the claim was released: the retry creates
    assert status == 201


def test_read_one_and_the_task_list(stack: WorkitemStack) -> None:
    one = created(stack)
    created(stack, sourceId="CASE-0043")

    assert stack.api("GET", f"/workitems/{one['id']}") == (200, one)
    assert stack.api("GET", "/workitems/00000000-0000-0000-0000-000000000000")[0] == 404
    assert stack.api("GET", "/workitems/short")[0] == 400
    status, page = stack.api("GET", "/workitems", query={"queue": "queue-a", "limit": "1"})
    assert status == 200 and len(page["items"]) == 1 and page["nextToken"]
    status, rest = stack.api("GET", "/workitems", query={"queue": "queue-a", "nextToken": page["nextToken"]})
    assert {i["sourceId"] for i in page["items"] + rest["items"]} == {"CASE-0042", "CASE-0043"}
    status, due = stack.api("GET", "/workitems", query={"status": "Open", "dueBefore": "2000-01-01T00:00:00Z"})
    assert (status, due["items"]) == (200, [])
    status, answer = stack.api("GET", "/workitems")
    assert status == 400 and {e["field"] for e in answer["errors"]} == {"queue", "status"}
    status, answer = stack.api("GET", "/workitems", query={"status": "Sleeping"})
    assert status == 400 and answer["errors"][0]["field"] == "status"
    status, answer = stack.api("GET", "/workitems", query={"status": "Open", "nextToken": "garbage"})
    assert status == 400 and answer["errors"][0]["field"] == "nextToken"


def test_the_lifecycle_and_the_sync_back(stack: WorkitemStack, receiver: CallbackReceiver) -> None:
    one = created(stack, receiver)
    path = f"/workitems/{one['id']}"

    status, paused = stack.api("PATCH", path, {"action": "pause"})
    assert (status, paused["paused"], paused["status"]) == (200, True, "Waiting")
    status, resumed = stack.api("PATCH", path, {"action": "resume"})
    assert (status, resumed["paused"], resumed["status"]) == (200, False, "Open")
    status, updated = stack.api("PATCH", path, {"action": "update", "priority": 77, "name": "Renamed claim"})
    assert (status, updated["priority"]) == (200, 77)
    status, answer = stack.api("PATCH", path, {"action": "archive"})
    assert (status, answer["errors"][0]["field"]) == (400, "action")
    assert "archive" not in answer["errors"][0]["message"]
    status, answer = stack.api("PATCH", path, {"action": "update", "priority": "high"})
    assert (status, [e["field"] for e in answer["errors"]]) == (400, ["priority"])
    status, done = stack.api("PATCH", path, {"action": "complete"})
    assert (status, done["status"], done["syncState"]) == (200, "Closed", "queued")
    assert stack.api("PATCH", path, {"action": "cancel"})[0] == 409

    assert stack.run_callbacks()["batchItemFailures"] == []
    ((headers, raw),) = receiver.calls
    outcome = json.loads(raw)
    assert headers["Idempotency-Key"] == f"{one['id']}:st-done"
    assert (outcome["sourceId"], outcome["status"], outcome["statusId"]) == ("CASE-0042", "Closed", "st-done")
    assert stack.api("GET", path)[1]["syncState"] == "synced"
    executions = stack.sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"]
    assert {e["status"] for e in executions} == {"ABORTED"}  # generation 0, 2 and 3 (after the update)


def test_a_callback_that_fails_is_postponed_and_a_repeat_is_not_sent(stack: WorkitemStack) -> None:
    one = created(stack, callbackUrl="http://127.0.0.1:9/unreachable")
    stack.api("PATCH", f"/workitems/{one['id']}", {"action": "cancel"})

    result = stack.run_callbacks()

    assert len(result["batchItemFailures"]) == 1
    assert stack.row(one["id"]).get("syncedKey") is None


def test_genesys_events_update_the_row_and_a_close_settles_it(stack: WorkitemStack, receiver: CallbackReceiver) -> None:
    one = created(stack, receiver)
    genesys_id = one["genesysWorkitemId"]
    stack.genesys.tasks.agent_update(genesys_id, assigneeId="agent-7", assignmentState="Connected")
    bare = stack.genesys.tasks.topic_event(genesys_id)

    assert stack.post_event(bare) == (202, {"status": "accepted", "workitemId": one["id"], "outcome": "applied"})
    row = stack.api("GET", f"/workitems/{one['id']}")[1]
    assert (row["assigneeId"], row["routingState"]) == ("agent-7", "Connected")

    stack.genesys.tasks.agent_update(genesys_id, statusId="st-done")
    envelope = {
        "version": "0",
        "id": "4cbedb0f-4dfd-4c8e-9e57-0acded092527",
        "detail-type": "v2.taskmanagement.workitems.{id}",
        "source": "aws.partner/genesys.com/cloud/org/suffix",
        "account": "123456789012",
        "time": "2026-11-23T18:54:16Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "topicName": f"v2.taskmanagement.workitems.{genesys_id}",
            "version": "2",
            "eventBody": stack.genesys.tasks.topic_event(genesys_id),
            "metadata": {"CorrelationId": "c-1"},
            "timestamp": "2026-11-23T18:54:16.435Z",
        },
    }
    assert stack.post_event(envelope)[1]["outcome"] == "applied"
    assert stack.post_event(envelope)[1]["outcome"] == "stale"  # redelivered
    assert stack.row(one["id"])["statusCategory"] == "Closed"
    stack.run_callbacks()
    assert len(receiver.calls) == 1
    assert json.loads(receiver.calls[0][1])["customFields"] == {"claim_id_identifier": "CL-42"}


def test_events_of_other_topics_or_workitems_are_refused_or_ignored(stack: WorkitemStack) -> None:
    wrong_topic = {"detail": {"topicName": "v2.detail.events.conversation.c-1.acw", "eventBody": {}}}
    status, answer = stack.post_event(wrong_topic)
    assert (status, answer["errors"][0]["field"]) == (400, "detail.topicName")

    status, answer = stack.post_event({"id": "not-ours", "statusCategory": "Open"})
    assert (status, answer["outcome"]) == (202, "unknown")

    status, answer = stack.post_event({"id": "not-ours", "statusCategory": "Sleeping"})
    assert (status, answer["errors"][0]["field"]) == (400, "statusCategory")
