"""Infrastructure of the workitem SLA orchestration: routes, table, state machine, queues, least privilege."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from cxbridge.workitems.worktype_catalog import WorktypeCatalog

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("WorkitemsApiFunction", "WorkitemEventsFunction", "WorkitemSlaStepFunction", "WorkitemCallbackFunction")
ROUTES = {
    ("/workitems", "post"): "WorkitemsApiFunction",
    ("/workitems", "get"): "WorkitemsApiFunction",
    ("/workitems/{workitemId}", "get"): "WorkitemsApiFunction",
    ("/workitems/{workitemId}", "patch"): "WorkitemsApiFunction",
    ("/genesys/workitems", "post"): "WorkitemEventsFunction",
}


def statements(cfn: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role = cfn["Resources"][f"{function}Role"]["Properties"]
    found: list[dict[str, Any]] = []
    for policy in role.get("Policies", []):
        for entry in policy["PolicyDocument"]["Statement"]:
            found.append(entry["Fn::If"][1] if "Fn::If" in entry else entry)  # a conditional one: its "true" branch
    return found


def actions(cfn: dict[str, Any], function: str) -> set[str]:
    found: set[str] = set()
    for statement in statements(cfn, function):
        found.update([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    return found


def test_the_routes_are_on_the_api_behind_the_key(sam: dict[str, Any], cfn: dict[str, Any]) -> None:
    declared = {}
    for name in FUNCTIONS:
        for event in sam["Resources"][name]["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                assert event["Properties"]["RestApiId"] == {"Ref": "IngestApi"}
                declared[(event["Properties"]["Path"], event["Properties"]["Method"])] = name
    assert declared == ROUTES
    (api,) = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    paths = api["Properties"]["Body"]["paths"]
    for path, method in ROUTES:
        (requirement,) = paths[path][method]["security"]
        assert set(requirement) == {"CallerToken"}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_handler_paths_lead_to_a_module_with_the_handler(sam: dict[str, Any], name: str) -> None:
    props = sam["Resources"][name]["Properties"]
    module_name, attr = props["Handler"].split(".")
    assert (ROOT / props["CodeUri"] / f"{module_name}.py").is_file()
    module = importlib.import_module(f"{props['CodeUri'].replace('/', '.')}.{module_name}")
    assert callable(getattr(module, attr))


def test_the_table_keys_indexes_ttl_and_encryption(sam: dict[str, Any]) -> None:
    props = sam["Resources"]["WorkitemsTable"]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "workitemId", "KeyType": "HASH"}]
    indexes = {i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]] for i in props["GlobalSecondaryIndexes"]}
    assert indexes == {
        "byGenesysId": ["genesysId"],
        "byQueue": ["queueId", "dateDue"],
        "byStatus": ["statusCategory", "dateDue"],
    }
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_the_state_machine_is_standard_from_its_asl_file_with_every_substitution(sam: dict[str, Any]) -> None:
    props = sam["Resources"]["WorkitemSlaStateMachine"]["Properties"]
    assert props["Type"] == "STANDARD"
    text = (ROOT / props["DefinitionUri"]).read_text()
    assert set(re.findall(r"\$\{(\w+)\}", text)) == set(props["DefinitionSubstitutions"])
    assert props["DefinitionSubstitutions"] == {
        "WorkitemsTableName": {"Ref": "WorkitemsTable"},
        "SlaStepFunctionArn": {"Ref": "WorkitemSlaStepFunction.Alias"},
    }
    # errors are logged, execution data (names, ids, custom fields) never is
    assert props["Logging"]["Level"] == "ERROR"
    assert props["Logging"]["IncludeExecutionData"] is False


def test_the_asl_waits_reads_without_a_lambda_and_retries_every_task() -> None:
    asl = json.loads((ROOT / "statemachines" / "workitem_sla.asl.json").read_text())
    states = asl["States"]
    assert states[asl["StartAt"]] == {"Type": "Wait", "TimestampPath": "$.nextAt", "Next": "ReadWorkitem"}
    assert states["ReadWorkitem"]["Resource"] == "arn:aws:states:::dynamodb:getItem"
    assert states["RunStep"]["Resource"] == "arn:aws:states:::lambda:invoke"
    for state in states.values():
        if state["Type"] == "Task":
            assert state["Retry"], state
            assert all(r["BackoffRate"] >= 2 for r in state["Retry"])
    assert [s["Type"] for s in states.values()].count("Task") == 2


def test_the_state_machine_may_read_the_table_invoke_the_step_and_deliver_its_logs_only(cfn: dict[str, Any]) -> None:
    role = cfn["Resources"]["WorkitemSlaStateMachineRole"]["Properties"]
    granted = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    flat = {a for s in granted for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert {a for a in flat if not a.startswith("logs:")} == {"dynamodb:GetItem", "lambda:InvokeFunction"}
    # the log-delivery actions take no resource ARN (Step Functions' documented set, nothing more)
    assert {a for a in flat if a.startswith("logs:")} <= {
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }


def test_each_function_gets_only_what_it_uses(cfn: dict[str, Any]) -> None:
    assert actions(cfn, "WorkitemsApiFunction") == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "states:StartExecution",
        "states:StopExecution",
        "sqs:SendMessage",
        "secretsmanager:GetSecretValue",
        "ssm:GetParameter",
    }
    assert actions(cfn, "WorkitemEventsFunction") == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "states:StopExecution",
        "sqs:SendMessage",
        "secretsmanager:GetSecretValue",  # to read a closed workitem back from Genesys
    }
    assert actions(cfn, "WorkitemSlaStepFunction") == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "sns:Publish",
        "sqs:SendMessage",
        "secretsmanager:GetSecretValue",
        "ssm:GetParameter",
    }
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "sqs:ChangeMessageVisibility"} <= actions(
        cfn, "WorkitemCallbackFunction"
    )
    for name in FUNCTIONS:
        for statement in statements(cfn, name):
            assert statement["Resource"] != "*", (name, statement)


def test_genesys_credentials_come_from_the_secret_named_by_a_parameter(sam: dict[str, Any]) -> None:
    for name in ("WorkitemsApiFunction", "WorkitemSlaStepFunction"):
        env = sam["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert env["GENESYS_SECRET_NAME"] == {"Ref": "GenesysSecretName"}
    text = (ROOT / "template.yaml").read_text().lower()
    assert "client_secret:" not in text and "clientsecret:" not in text


def test_the_callback_queue_is_encrypted_and_redrives_to_its_dead_letter_queue(sam: dict[str, Any]) -> None:
    queue = sam["Resources"]["WorkitemCallbackQueue"]["Properties"]
    assert queue["KmsMasterKeyId"] == "alias/aws/sqs"
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["WorkitemCallbackDeadLetterQueue", "Arn"]},
        "maxReceiveCount": {"Ref": "WorkitemCallbackMaxReceiveCount"},
    }
    assert sam["Resources"]["WorkitemCallbackDeadLetterQueue"]["Properties"]["KmsMasterKeyId"] == "alias/aws/sqs"
    (event,) = sam["Resources"]["WorkitemCallbackFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    timeout = sam["Resources"]["WorkitemCallbackFunction"]["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout  # AWS's advice for an SQS event source


def test_the_supervisor_topic_is_encrypted(sam: dict[str, Any]) -> None:
    assert sam["Resources"]["WorkitemSupervisorTopic"]["Properties"]["KmsMasterKeyId"] == "alias/aws/sns"


def test_parameters_are_prefixed(sam: dict[str, Any]) -> None:
    ours = {p for p in sam["Parameters"] if p.startswith("Workitem")}
    assert ours == {
        "WorkitemWorktypesParameterName",
        "WorkitemCallbackAllowedHosts",
        "WorkitemCallbackMaxReceiveCount",
        "WorkitemRetentionDays",
    }
    assert sam["Parameters"]["WorkitemCallbackAllowedHosts"]["Default"] == ""


def test_the_shipped_worktypes_keep_a_workitem_closed_inside_its_sla_within_ten_transitions() -> None:
    document = WorktypeCatalog().document()
    assert document.worktypes
    for key, worktype in document.worktypes.items():
        assert worktype.ladder().transitions_if_closed_before_due() <= 10, key
