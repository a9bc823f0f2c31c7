"""The SLA state machine from its ASL file, executed by moto, its Lambda task run in-process.

SLAs are two seconds, so the ladder (50 %, 75 %, 100 %) runs in about two. moto waits whole seconds
(it truncates), so a step may run up to a second early: the assertions are about order and counts.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from tests.integration.workitems.conftest import capture_body

if TYPE_CHECKING:
    from local.workitems import WorkitemStack
    from tests.unit.adapters.support import CallbackReceiver

LADDER = ["WaitForStep", "ReadWorkitem", "StepNeeded", "RunStep"]


def capture(stack: WorkitemStack, receiver: CallbackReceiver | None = None, sla_s: int = 2) -> dict[str, Any]:
    status, body = stack.api("POST", "/workitems", capture_body(receiver, sla={"durationSeconds": sla_s}))
    assert status == 201, body
    return {**body, "executionArn": stack.row(body["id"])["executionArn"]}


def start_now(stack: WorkitemStack, workitem_id: str) -> str:
    """Another execution for the workitem whose first step is due now (so the test decides what it sees)."""
    state = {"workitemId": workitem_id, "generation": "0", "step": 0, "nextAt": "2000-01-01T00:00:00Z", "done": False}
    return str(
        stack.sfn.start_execution(
            stateMachineArn=stack.state_machine_arn, name=f"{workitem_id}-now", input=json.dumps(state)
        )["executionArn"]
    )


def test_a_workitem_that_is_not_closed_walks_the_whole_ladder_in_order(stack: WorkitemStack) -> None:
    workitem = capture(stack)

    assert stack.wait_for(workitem["executionArn"]) == "SUCCEEDED"

    transitions = stack.transitions(workitem["executionArn"])
    assert transitions == [*LADDER * 3, "WaitForStep", "ReadWorkitem", "StepNeeded", "Done"]
    assert len(transitions) == 16
    assert [event["step"] for _, event in stack.lambdas.invocations] == [0, 1, 2]
    stored = stack.genesys.state()["workitems"][workitem["genesysWorkitemId"]]
    assert (stored["queue"], stored["workbin"]) == ({"id": "queue-b"}, {"id": "bin-sup"})
    assert stored["priority"] >= 500
    assert stack.genesys.requests("workitem_patch") == 3
    assert stack.genesys.requests("workitem_create") == 1
    row = stack.api("GET", f"/workitems/{workitem['id']}")[1]
    assert (row["escalationStep"], row["queueId"], row["workbinId"]) == (2, "queue-b", "bin-sup")


def test_a_workitem_closed_early_stops_without_escalating(stack: WorkitemStack, receiver: CallbackReceiver) -> None:
    workitem = capture(stack, receiver, sla_s=10)
    stack.genesys.tasks.agent_update(workitem["genesysWorkitemId"], statusId="st-done", assigneeId="agent-7")

    assert stack.post_event(stack.genesys.tasks.topic_event(workitem["genesysWorkitemId"]))[0] == 202

    assert stack.wait_for(workitem["executionArn"]) == "ABORTED"
    time.sleep(0.2)  # nothing may run after the stop
    # At most the first wait was entered: on a loaded machine the stop can land before moto starts it.
    assert set(stack.transitions(workitem["executionArn"])) <= {"WaitForStep"}
    assert stack.lambdas.invocations == []
    assert stack.genesys.requests("workitem_patch") == 0
    assert stack.run_callbacks()["batchItemFailures"] == []
    assert len(receiver.calls) == 1


def test_a_closed_row_ends_the_execution_without_a_lambda_when_the_stop_was_lost(stack: WorkitemStack) -> None:
    workitem = capture(stack, sla_s=60)
    stack.dynamodb.update_item(
        TableName="Workitems",
        Key={"workitemId": {"S": workitem["id"]}},
        UpdateExpression="SET statusCategory = :c",
        ExpressionAttributeValues={":c": {"S": "Closed"}},
    )

    execution = start_now(stack, workitem["id"])

    assert stack.wait_for(execution) == "SUCCEEDED"
    assert stack.transitions(execution) == ["WaitForStep", "ReadWorkitem", "StepNeeded", "Done"]
    assert stack.lambdas.invocations == []


def test_a_workitem_closed_in_genesys_without_an_event_is_settled_by_its_next_step(
    stack: WorkitemStack, receiver: CallbackReceiver
) -> None:
    workitem = capture(stack, receiver, sla_s=60)
    stack.genesys.tasks.agent_update(workitem["genesysWorkitemId"], statusId="st-done")

    execution = start_now(stack, workitem["id"])

    assert stack.wait_for(execution) == "SUCCEEDED"
    assert stack.transitions(execution) == [*LADDER, "WaitForStep", "ReadWorkitem", "StepNeeded", "Done"]
    assert stack.genesys.requests("workitem_patch") == 0
    assert stack.row(workitem["id"])["statusCategory"] == "Closed"
    stack.run_callbacks()
    assert len(receiver.calls) == 1


def test_a_paused_workitem_stops_escalating_and_resumes_in_a_new_execution(stack: WorkitemStack) -> None:
    workitem = capture(stack, sla_s=10)

    stack.api("PATCH", f"/workitems/{workitem['id']}", {"action": "pause"})
    assert stack.wait_for(workitem["executionArn"]) == "ABORTED"
    stack.api("PATCH", f"/workitems/{workitem['id']}", {"action": "resume"})

    resumed = stack.row(workitem["id"])["executionArn"]
    assert resumed.endswith(f":{workitem['id']}-2")
    assert stack.sfn.describe_execution(executionArn=resumed)["status"] == "RUNNING"
