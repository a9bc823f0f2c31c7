"""Infrastructure assertions on ``template.yaml``: routes, auth, idempotency storage, queues, layers."""

from __future__ import annotations

import importlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
INGEST_ROUTES = {
    "/genesys/conversations/acw": "IngestAcwFunction",
    "/genesys/conversations/customer-end": "IngestCustomerEndFunction",
    "/genesys/conversations/user-end": "IngestUserEndFunction",
    "/genesys/conversations/call-completed": "IngestCallCompletedFunction",
}


def resources(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in cfn["Resources"].items() if v["Type"] == kind}


def functions(sam: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in sam["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}


def test_each_event_type_has_its_own_function_behind_a_post_route(sam: dict[str, Any]) -> None:
    for path, name in INGEST_ROUTES.items():
        events = functions(sam)[name]["Properties"]["Events"]
        api = [e["Properties"] for e in events.values() if e["Type"] == "Api"]
        assert api == [
            {
                "RestApiId": {"Ref": "IngestApi"},
                "Path": path,
                "Method": "post",
                "Auth": {"Authorizer": "CallerToken", "AuthorizationScopes": ["cxbridge/events.write"]},
            }
        ]


# Routes without a Cognito token: the bot callback (its per-deployment token, checked by the function)
# and the API's documentation (the OpenAPI document and Swagger UI: routes, never data).
PUBLIC_ROUTES = {"/bots/callback", "/openapi.json", "/docs"}


def test_every_route_but_the_public_ones_needs_a_token_with_a_scope_before_any_function_runs(
    cfn: dict[str, Any],
) -> None:
    (api,) = resources(cfn, "AWS::ApiGateway::RestApi").values()
    body = api["Properties"]["Body"]
    paths = body["paths"]
    assert set(paths) >= set(INGEST_ROUTES)
    for route, path in paths.items():
        for method in path.values():
            (requirement,) = method["security"]
            if route in PUBLIC_ROUTES:  # the bot callback's own token; the API's documentation
                assert requirement == {"NONE": []}
                continue
            (scopes,) = requirement.values()
            assert set(requirement) == {"CallerToken"}
            assert scopes and all(s.startswith("cxbridge/") for s in scopes)
    authorizer = body["securityDefinitions"]["CallerToken"]["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "cognito_user_pools"
    assert authorizer["providerARNs"] == [{"Fn::GetAtt": ["CallerPool", "Arn"]}]
    assert not resources(cfn, "AWS::ApiGateway::ApiKey")  # no shared key stands in for a caller


@pytest.mark.parametrize("name", sorted(["CrmJobOutboxFunction", *INGEST_ROUTES.values()]))
def test_handler_paths_lead_to_a_module_with_the_handler(sam: dict[str, Any], name: str) -> None:
    props = functions(sam)[name]["Properties"]
    module_name, attr = props["Handler"].split(".")
    assert (ROOT / props["CodeUri"] / f"{module_name}.py").is_file()
    package = props["CodeUri"].replace("/", ".")
    module = importlib.import_module(f"{package}.{module_name}")
    assert callable(getattr(module, attr))


def test_functions_run_python_313_with_the_shared_layer_and_no_boto3_packaged(sam: dict[str, Any]) -> None:
    glob = sam["Globals"]["Function"]
    assert glob["Runtime"] == "python3.13"
    assert glob["Layers"] == [{"Ref": "CxbridgeLayer"}]
    layer = sam["Resources"]["CxbridgeLayer"]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    assert glob["Architectures"] == ["arm64"]
    for name, fn in functions(sam).items():
        assert not (ROOT / fn["Properties"]["CodeUri"] / "requirements.txt").exists(), name


def test_the_layer_build_packages_arm64_wheels_and_the_package_but_not_the_aws_sdk(tmp_path: Path) -> None:
    """What ``sam build`` runs for the layer (pip from the package index): botocore stays the runtime's."""
    make = shutil.which("make")
    assert make is not None
    subprocess.run(  # noqa: S603 - make with our own Makefile
        [make, "-s", "-C", str(ROOT / "layers" / "cxbridge"), "build-CxbridgeLayer", f"ARTIFACTS_DIR={tmp_path}"],
        check=True,
        capture_output=True,
    )
    top = {p.name for p in (tmp_path / "python").iterdir()}
    assert {"cxbridge", "aws_lambda_powertools", "aws_xray_sdk", "pydantic_core", "requests"} <= top
    assert not top & {"boto3", "botocore", "s3transfer"}
    assert (tmp_path / "python" / "cxbridge" / "workitems" / "worktypes.json").is_file()
    (binary,) = (tmp_path / "python" / "pydantic_core").glob("_pydantic_core*.so")
    assert "aarch64" in binary.name
    size = sum(f.stat().st_size for f in tmp_path.rglob("*") if f.is_file())
    assert size < 30e6


def test_call_records_table_keys_on_conversation_with_ttl_stream_and_encryption(sam: dict[str, Any]) -> None:
    props = sam["Resources"]["CallRecordsTable"]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "conversationId", "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    (gsi,) = props["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "byCallDate"


def test_ingest_functions_may_only_read_and_conditionally_write_call_records(cfn: dict[str, Any]) -> None:
    for name in INGEST_ROUTES.values():
        role = cfn["Resources"][f"{name}Role"]["Properties"]
        statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
        table = [s for s in statements if any(a.startswith("dynamodb:") for a in s["Action"])]
        assert table == [
            {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                "Resource": {"Fn::GetAtt": ["CallRecordsTable", "Arn"]},
            }
        ]


def test_crm_sync_queue_redrives_to_a_dead_letter_queue_after_a_parameter_count(sam: dict[str, Any]) -> None:
    queue = sam["Resources"]["CrmSyncQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["CrmSyncDeadLetterQueue", "Arn"]},
        "maxReceiveCount": {"Ref": "CrmSyncMaxReceiveCount"},
    }
    assert sam["Parameters"]["CrmSyncMaxReceiveCount"]["Default"] == 10


def test_outbox_reports_partial_failures_and_dead_letters_what_it_cannot_queue(sam: dict[str, Any]) -> None:
    (event,) = functions(sam)["CrmJobOutboxFunction"]["Properties"]["Events"].values()
    props = event["Properties"]
    assert event["Type"] == "DynamoDB"
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]}
    assert props["BisectBatchOnFunctionError"] is True


def test_async_failures_of_the_eventbridge_path_end_in_the_dead_letter_queue(sam: dict[str, Any]) -> None:
    config = sam["Globals"]["Function"]["EventInvokeConfig"]
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]}


def test_partner_bus_rules_are_off_unless_a_bus_is_given(sam: dict[str, Any]) -> None:
    rules = {k: v for k, v in sam["Resources"].items() if v["Type"] == "AWS::Events::Rule"}
    assert set(rules) == {"AcwEventRule", "CustomerEndEventRule", "UserEndEventRule"}
    for rule in rules.values():
        assert rule["Condition"] == "HasGenesysEventBus"
        assert rule["Properties"]["EventBusName"] == {"Ref": "GenesysEventBusName"}
        for pattern in rule["Properties"]["EventPattern"]["detail-type"]:
            assert pattern.startswith("v2.detail.events.conversation.{id}.")
    assert sam["Parameters"]["GenesysEventBusName"]["Default"] == ""


def test_queues_are_encrypted(sam: dict[str, Any]) -> None:
    queues = {k: v for k, v in sam["Resources"].items() if v["Type"] == "AWS::SQS::Queue"}
    assert queues
    for queue in queues.values():
        assert queue["Properties"]["KmsMasterKeyId"] == "alias/aws/sqs"
