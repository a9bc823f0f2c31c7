"""Operations in the template: every alarm, its threshold and action; safe deployments with rollback."""

from __future__ import annotations

import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest

from local.template import load_template

ROOT = Path(__file__).resolve().parents[2]

FUNCTIONS = sorted(k for k, v in load_template()["Resources"].items() if v["Type"] == "AWS::Serverless::Function")


def alarms(sam: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in sam["Resources"].items() if v["Type"] == "AWS::CloudWatch::Alarm"}


def metric_ids(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["Id"]: m for m in alarm.get("Metrics", [])}


def test_every_alarm_notifies_the_alarm_topic_on_alarm_and_recovery(sam: dict[str, Any]) -> None:
    assert alarms(sam)
    for name, alarm in alarms(sam).items():
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["OKActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["TreatMissingData"] == "notBreaching", name


def test_alarm_topic_is_encrypted_and_email_subscription_is_a_parameter(sam: dict[str, Any]) -> None:
    assert sam["Resources"]["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == "alias/aws/sns"
    sub = sam["Resources"]["AlarmEmailSubscription"]
    assert sub["Condition"] == "HasAlarmEmail"
    assert sub["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_has_an_error_rate_alarm_over_five_percent_in_an_hour(sam: dict[str, Any], function: str) -> None:
    alarm = alarms(sam)[f"{function}ErrorRateAlarm"]
    assert alarm["Threshold"] == {"Ref": "ErrorRateThresholdPercent"}
    assert sam["Parameters"]["ErrorRateThresholdPercent"]["Default"] == 5
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    metrics = metric_ids(alarm)
    for metric_id, metric_name in (("errors", "Errors"), ("invocations", "Invocations")):
        stat = metrics[metric_id]["MetricStat"]
        assert stat["Metric"]["MetricName"] == metric_name
        assert stat["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
        assert (stat["Period"], stat["Stat"]) == (3600, "Sum")
    assert metrics["errorRate"]["Expression"] == "IF(invocations > 0, 100 * errors / invocations, 0)"


@pytest.mark.parametrize("function", FUNCTIONS)
def test_each_function_deploys_through_its_alias_with_rollback_on_alarms(sam: dict[str, Any], function: str) -> None:
    glob = sam["Globals"]["Function"]
    assert glob["AutoPublishAlias"] == "live"
    assert glob["DeploymentPreference"]["Type"] == {"Ref": "DeploymentType"}
    assert {"Ref": "Api5xxRateAlarm"} in glob["DeploymentPreference"]["Alarms"]
    own = sam["Resources"][function]["Properties"]["DeploymentPreference"]["Alarms"]
    assert {"Ref": f"{function}ErrorRateAlarm"} in own


def test_deployment_groups_roll_back_on_the_global_and_the_functions_own_alarms(cfn: dict[str, Any]) -> None:
    groups = [r["Properties"] for r in cfn["Resources"].values() if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"]
    assert len(groups) == len(FUNCTIONS)
    for group in groups:
        names = [a["Name"] for a in group["AlarmConfiguration"]["Alarms"]]
        assert {"Ref": "Api5xxRateAlarm"} in names
        assert any(n["Ref"].endswith("ErrorRateAlarm") for n in names)
        assert group["AlarmConfiguration"]["Enabled"] is True
        assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]


def test_event_sources_and_rules_invoke_the_alias_so_rollback_moves_them(cfn: dict[str, Any]) -> None:
    resources = cfn["Resources"]
    for mapping in (r for r in resources.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"):
        assert mapping["Properties"]["FunctionName"]["Ref"].endswith("Aliaslive")
    for rule in (r for r in resources.values() if r["Type"] == "AWS::Events::Rule"):
        for target in rule["Properties"]["Targets"]:
            assert target["Arn"]["Ref"].endswith("Aliaslive")


def test_crm_sync_failure_rate_alarm_uses_our_metrics(sam: dict[str, Any]) -> None:
    alarm = alarms(sam)["CrmSyncFailureRateAlarm"]
    metrics = metric_ids(alarm)
    assert {m["MetricStat"]["Metric"]["MetricName"] for m in metrics.values() if "MetricStat" in m} == {
        "RecordsWritten",
        "DeadLettered",
        "Retried",
    }
    assert alarm["Threshold"] == {"Ref": "ErrorRateThresholdPercent"}


@pytest.mark.parametrize(
    ("alarm", "queue"),
    [
        ("CrmSyncDeadLetterAlarm", "CrmSyncDeadLetterQueue"),
        ("IngestDeadLetterAlarm", "IngestDeadLetterQueue"),
        ("TranscriptDeadLetterAlarm", "TranscriptDeadLetterQueue"),
    ],
)
def test_any_dead_letter_alarms(sam: dict[str, Any], alarm: str, queue: str) -> None:
    props = alarms(sam)[alarm]
    assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert props["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_backlog_age_breaker_api_and_throttle_alarms(sam: dict[str, Any]) -> None:
    all_alarms = alarms(sam)
    age = all_alarms["CrmSyncBacklogAgeAlarm"]
    assert (age["MetricName"], age["Threshold"]) == ("ApproximateAgeOfOldestMessage", {"Ref": "CrmSyncMaxAgeSeconds"})
    outbox = metric_ids(all_alarms["CrmJobOutboxIteratorAgeAlarm"])
    assert outbox["ageMs"]["MetricStat"]["Metric"]["MetricName"] == "IteratorAge"
    assert outbox["ageMs"]["MetricStat"]["Metric"]["Dimensions"][0]["Value"] == {"Ref": "CrmJobOutboxFunction"}
    assert outbox["ageSeconds"]["Expression"] == "ageMs / 1000"
    assert all_alarms["CrmJobOutboxIteratorAgeAlarm"]["Threshold"] == {"Ref": "CrmSyncMaxAgeSeconds"}
    breaker = all_alarms["CrmBreakerOpenAlarm"]
    assert (breaker["MetricName"], breaker["Threshold"]) == ("BreakerOpen", 0)
    api = metric_ids(all_alarms["Api5xxRateAlarm"])
    assert api["errors"]["MetricStat"]["Metric"]["MetricName"] == "5XXError"
    assert api["errorRate"]["Expression"] == "IF(requests > 0, 100 * errors / requests, 0)"
    throttled = {
        m["MetricStat"]["Metric"]["Dimensions"][0]["Value"]["Ref"]
        for alarm in ("LambdaThrottlesAlarm", "TranscriptThrottlesAlarm")
        for m in all_alarms[alarm]["Metrics"]
        if "MetricStat" in m
    }
    assert throttled == set(FUNCTIONS)


def test_tracing_is_on_for_functions_and_the_api(sam: dict[str, Any]) -> None:
    assert sam["Globals"]["Function"]["Tracing"] == "Active"
    assert sam["Resources"]["IngestApi"]["Properties"]["TracingEnabled"] is True


def test_dashboard_exists_and_tables_and_queues_are_encrypted(sam: dict[str, Any]) -> None:
    assert sam["Resources"]["OperationsDashboard"]["Type"] == "AWS::CloudWatch::Dashboard"
    for name, res in sam["Resources"].items():
        if res["Type"] == "AWS::DynamoDB::Table":
            assert res["Properties"]["SSESpecification"] == {"SSEEnabled": True}, name
        if res["Type"] == "AWS::SQS::Queue":
            assert res["Properties"]["KmsMasterKeyId"] == "alias/aws/sqs", name
        if res["Type"] == "AWS::SNS::Topic":
            assert "KmsMasterKeyId" in res["Properties"], name


def test_every_environment_in_samconfig_sets_only_valid_parameters_and_prod_deploys_by_canary(
    sam: dict[str, Any],
) -> None:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    overrides = {}
    for env in ("default", "dev", "prod"):
        pairs = shlex.split(config[env]["deploy"]["parameters"]["parameter_overrides"])
        overrides[env] = dict(pair.split("=", 1) for pair in pairs)
        for name, value in overrides[env].items():
            declared = sam["Parameters"][name]
            assert value in declared.get("AllowedValues", [value]), (env, name, value)
            if declared["Type"] == "Number":
                assert declared.get("MinValue", float("-inf")) <= float(value) <= declared.get("MaxValue", float("inf"))
    assert overrides["prod"]["DeploymentType"].startswith("Canary10Percent")
    assert {env: "DeploymentType" in o for env, o in overrides.items()} == dict.fromkeys(overrides, True)
