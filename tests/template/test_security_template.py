"""What a security review checks in the template (issue 13): who may call, what is logged, what is granted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cxbridge.core.identity import SCOPES

ROOT = Path(__file__).resolve().parents[2]
NAMES_OR_FREE_TEXT = ("workitems_api", "toil_report_api", "toil_daily", "assist_lookup")  # names, notes, CRM fields


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_resource_server_declares_the_scopes_the_code_checks(sam: dict[str, Any]) -> None:
    server = sam["Resources"]["CallerScopes"]["Properties"]
    declared = {f"{server['Identifier']}/{s['ScopeName']}" for s in server["Scopes"]}
    assert declared == set(SCOPES)


def test_callers_are_client_credentials_app_clients_with_only_their_scopes(sam: dict[str, Any]) -> None:
    clients = of_type(sam, "AWS::Cognito::UserPoolClient")
    assert set(clients) == {"GenesysClient", "SourceSystemClient"}
    for client in clients.values():
        props = client["Properties"]
        assert props["AllowedOAuthFlows"] == ["client_credentials"]
        assert props["GenerateSecret"] is True
        assert props["AllowedOAuthFlowsUserPoolClient"] is True
    assert set(clients["GenesysClient"]["Properties"]["AllowedOAuthScopes"]) == {
        "cxbridge/events.write",
        "cxbridge/toil.read",
        "cxbridge/assist.read",
    }
    assert set(clients["SourceSystemClient"]["Properties"]["AllowedOAuthScopes"]) == {
        "cxbridge/workitems.write",
        "cxbridge/workitems.read",
    }


def test_every_function_and_the_state_machine_log_to_their_own_group_kept_for_the_retention(
    sam: dict[str, Any],
) -> None:
    groups = of_type(sam, "AWS::Logs::LogGroup")
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    used = []
    for fn in of_type(sam, "AWS::Serverless::Function").values():
        (name,) = fn["Properties"]["LoggingConfig"]["LogGroup"].values()
        used.append(name)
    assert len(set(used)) == len(used)  # one each
    logging = sam["Resources"]["WorkitemSlaStateMachine"]["Properties"]["Logging"]
    assert (logging["Level"], logging["IncludeExecutionData"]) == ("ERROR", False)
    assert set(groups) == {*used, "WorkitemSlaStateMachineLogGroup", "ApiAccessLogGroup"}


def test_api_access_logs_are_json_with_the_caller_and_no_body(sam: dict[str, Any]) -> None:
    setting = sam["Resources"]["IngestApi"]["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fmt = setting["Format"]
    assert "$context.authorizer.claims.client_id" in fmt
    assert "body" not in fmt.lower()
    assert "$input" not in fmt


def test_secrets_are_granted_by_exact_arn_and_nothing_by_wildcard_policy(cfn: dict[str, Any]) -> None:
    for logical_id, role in of_type(cfn, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                actions, resources = listed(statement.get("Action", [])), listed(statement.get("Resource", []))
                assert not any(a.startswith("kms:") for a in actions), logical_id
                if "secretsmanager:GetSecretValue" in actions:
                    for arn in resources:
                        text = arn.get("Fn::Sub", "") if isinstance(arn, dict) else arn
                        assert "Ref" in arn or text.endswith("-??????"), (logical_id, arn)
    assert "DynamoDBCrudPolicy" not in (ROOT / "template.yaml").read_text()


@pytest.mark.parametrize("function", NAMES_OR_FREE_TEXT)
def test_traces_leave_out_responses_that_carry_names_or_free_text(function: str) -> None:
    source = (ROOT / "functions" / function / "app.py").read_text()
    assert "@tracer.capture_lambda_handler(capture_response=False)" in source
