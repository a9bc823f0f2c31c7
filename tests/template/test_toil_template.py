"""Template assertions for the toil report: route, schedule, parameters, storage, topic and least privilege."""

from __future__ import annotations

import copy
import importlib
from pathlib import Path
from typing import Any

import pytest
from samtranslator.translator.transform import transform

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ("ToilDailyFunction", "ToilReportApiFunction")


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="module")
def toil_cfn(sam: dict[str, Any]) -> dict[str, Any]:
    """The translated template, every code and definition location stubbed (ours and the other features')."""
    template = copy.deepcopy(sam)
    for res in template["Resources"].values():
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if key in props:
                props[key] = "s3://bucket/key"
    result: dict[str, Any] = transform(template, {}, _NoManagedPolicies())
    return result


def props(sam: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = sam["Resources"][name]["Properties"]
    return found


def statements(cfn: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role = cfn["Resources"][f"{function}Role"]["Properties"]
    return [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]


def actions(statement: dict[str, Any]) -> list[str]:
    found = statement["Action"]
    return [found] if isinstance(found, str) else list(found)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_handler_paths_lead_to_a_module_with_the_handler(sam: dict[str, Any], name: str) -> None:
    p = props(sam, name)
    module_name, attr = p["Handler"].split(".")
    assert (ROOT / p["CodeUri"] / f"{module_name}.py").is_file()
    module = importlib.import_module(f"{p['CodeUri'].replace('/', '.')}.{module_name}")
    assert callable(getattr(module, attr))


def test_the_report_is_a_get_route_for_the_toil_read_scope(sam: dict[str, Any], toil_cfn: dict[str, Any]) -> None:
    (event,) = props(sam, "ToilReportApiFunction")["Events"].values()
    assert event["Type"] == "Api"
    assert {k: event["Properties"][k] for k in ("RestApiId", "Path", "Method")} == {
        "RestApiId": {"Ref": "IngestApi"},
        "Path": "/toil/report",
        "Method": "get",
    }
    (api,) = [r for r in toil_cfn["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    security = api["Properties"]["Body"]["paths"]["/toil/report"]["get"]["security"]
    assert security == [{"CallerToken": ["cxbridge/toil.read"]}]
    assert props(sam, "ToilReportApiFunction")["Timeout"] <= 29  # API Gateway's integration limit


def test_the_daily_run_is_on_a_schedule_parameter(sam: dict[str, Any]) -> None:
    (event,) = props(sam, "ToilDailyFunction")["Events"].values()
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == {"Ref": "ToilReportSchedule"}
    assert sam["Parameters"]["ToilReportSchedule"]["Default"] == "cron(15 2 * * ? *)"


def test_thresholds_and_source_are_parameters_with_the_seed_guides_defaults(sam: dict[str, Any]) -> None:
    params = sam["Parameters"]
    assert params["ToilShareThresholdPct"]["Default"] == 15
    assert params["ToilAhtThresholdSeconds"]["Default"] == 300
    assert params["ToilReportSource"]["AllowedValues"] == ["records", "genesys-analytics"]
    assert params["ToilReportSource"]["Default"] == "records"
    expected = {
        "TOIL_SHARE_THRESHOLD_PCT": {"Ref": "ToilShareThresholdPct"},
        "TOIL_AHT_THRESHOLD_S": {"Ref": "ToilAhtThresholdSeconds"},
        "TOIL_SOURCE": {"Ref": "ToilReportSource"},
        "TOIL_REPORTS_TABLE": {"Ref": "ToilReportsTable"},
        "TOIL_TOPIC_ARN": {"Ref": "ToilCandidatesTopic"},
        "GENESYS_SECRET_NAME": {"Ref": "GenesysSecretName"},
    }
    environments = [props(sam, name)["Environment"]["Variables"] for name in FUNCTIONS]
    for env in environments:
        assert env.items() >= expected.items()
    daily, route = ({k: v for k, v in env.items() if k != "POWERTOOLS_SERVICE_NAME"} for env in environments)
    assert daily == route  # the route and the daily run compute the same report


def test_reports_table_is_keyed_by_scope_and_date_encrypted_and_kept(sam: dict[str, Any]) -> None:
    table = sam["Resources"]["ToilReportsTable"]
    assert (table["DeletionPolicy"], table["UpdateReplacePolicy"]) == ("Retain", "Retain")
    p = table["Properties"]
    assert p["KeySchema"] == [
        {"AttributeName": "reportKey", "KeyType": "HASH"},
        {"AttributeName": "reportDate", "KeyType": "RANGE"},
    ]
    assert p["SSESpecification"] == {"SSEEnabled": True}
    assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_candidates_topic_is_encrypted(sam: dict[str, Any]) -> None:
    assert props(sam, "ToilCandidatesTopic")["KmsMasterKeyId"] == "alias/aws/sns"


def test_daily_run_may_query_the_index_write_reports_and_publish_nothing_more(toil_cfn: dict[str, Any]) -> None:
    found = statements(toil_cfn, "ToilDailyFunction")
    dynamodb = [(actions(s), s["Resource"]) for s in found if actions(s)[0].startswith("dynamodb:")]
    assert dynamodb == [
        (["dynamodb:Query"], {"Fn::Sub": "${CallRecordsTable.Arn}/index/byCallDate"}),
        (["dynamodb:Query", "dynamodb:PutItem"], {"Fn::GetAtt": ["ToilReportsTable", "Arn"]}),
    ]
    (sns,) = [s for s in found if actions(s)[0].startswith("sns:")]
    assert (actions(sns), sns["Resource"]) == (["sns:Publish"], {"Ref": "ToilCandidatesTopic"})
    assert not [s for s in found if actions(s)[0].startswith("kms:")]  # the AWS-managed SNS key needs none
    (secret,) = [s for s in found if actions(s) == ["secretsmanager:GetSecretValue"]]
    assert secret["Resource"]["Fn::Sub"].endswith(":secret:${GenesysSecretName}-??????")


def test_the_route_may_only_query_the_index_and_read_the_genesys_secret(toil_cfn: dict[str, Any]) -> None:
    found = statements(toil_cfn, "ToilReportApiFunction")
    ours = [(actions(s), s["Resource"]) for s in found if not actions(s)[0].startswith("sqs:")]
    assert [a for a, _ in ours] == [["dynamodb:Query"], ["secretsmanager:GetSecretValue"]]
    assert ours[0][1] == {"Fn::Sub": "${CallRecordsTable.Arn}/index/byCallDate"}
    # the one SQS statement is SAM's, for the global on-failure destination of asynchronous invocations
    assert [s["Resource"] for s in found if actions(s)[0].startswith("sqs:")] == [
        {"Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]}
    ]
