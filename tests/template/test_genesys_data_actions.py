"""The importable Genesys data action (genesys/) against the route it calls: path, method, input and output."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from cxbridge.crm.assist import AssistLookupAnswer, AssistLookupRequest
from cxbridge.crm.lookup import LookupStatus

ROOT = Path(__file__).resolve().parents[2]
ACTION = json.loads((ROOT / "genesys" / "assist-lookup.json").read_text())


def test_the_action_has_the_export_shape_and_a_timeout_above_the_routes_deadline(sam: dict[str, Any]) -> None:
    assert (ACTION["integrationType"], ACTION["actionType"]) == ("custom-rest-actions", "custom")
    assert set(ACTION) >= {"name", "config", "contract", "secure"}
    deadline = sam["Parameters"]["AssistDeadlineSeconds"]
    assert deadline["MaxValue"] < ACTION["config"]["timeoutSeconds"] == 5
    assert ACTION["secure"] is True  # Genesys keeps a secure action's inputs and outputs out of its logs


def test_the_action_calls_the_routes_path_and_method_with_a_bearer_token(sam: dict[str, Any]) -> None:
    request = ACTION["config"]["request"]
    event = sam["Resources"]["AssistLookupFunction"]["Properties"]["Events"]["Api"]["Properties"]
    assert request["requestUrlTemplate"].endswith(event["Path"])
    assert request["requestType"] == event["Method"].upper()
    assert request["headers"]["Authorization"] == "Bearer ${authResponse.token}"
    assert event["Auth"]["AuthorizationScopes"] == ["cxbridge/assist.read"]


def test_the_input_contract_is_the_routes_and_the_template_sends_each_input() -> None:
    schema = ACTION["contract"]["input"]["inputSchema"]
    route = AssistLookupRequest.model_json_schema()
    assert set(schema["properties"]) == set(route["properties"])
    assert all(p["type"] == "string" for p in schema["properties"].values())
    template = ACTION["config"]["request"]["requestTemplate"]
    assert set(re.findall(r"\$input\.(\w+)", template)) == set(route["properties"])


def test_the_output_contract_is_flat_and_maps_the_routes_answer() -> None:
    schema = ACTION["contract"]["output"]["successSchema"]
    response = ACTION["config"]["response"]
    route = AssistLookupAnswer.model_json_schema()
    assert set(schema["properties"]) <= set(route["properties"])
    assert all(p["type"] == "string" for p in schema["properties"].values())  # flat: Architect maps each
    assert schema["properties"]["status"]["enum"] == [s.value for s in LookupStatus]
    assert set(response["translationMap"]) == set(schema["properties"]) == set(response["translationMapDefaults"])
    assert all(path == f"$.{name}" for name, path in response["translationMap"].items())
    defaults = {name: json.loads(value) for name, value in response["translationMapDefaults"].items()}
    assert defaults["status"] == LookupStatus.FALLBACK  # a missing answer takes the fallback path
    rendered = re.sub(r"\$\{(\w+)\}", lambda m: json.dumps(defaults[m[1]]), response["successTemplate"])
    assert json.loads(rendered) == defaults


def test_the_assist_function_reads_only_its_cache_the_crm_config_and_its_secrets(cfn: dict[str, Any]) -> None:
    role = cfn["Resources"]["AssistLookupFunctionRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    actions = {a for s in statements for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    actions.discard("sqs:SendMessage")  # the Globals' on-failure destination of asynchronous invocations
    assert actions == {"dynamodb:GetItem", "dynamodb:PutItem", "ssm:GetParameter", "secretsmanager:GetSecretValue"}
    (table,) = [s["Resource"] for s in statements if "dynamodb:GetItem" in s["Action"]]
    assert table == {"Fn::GetAtt": ["WorkerStateTable", "Arn"]}
    function = cfn["Resources"]["AssistLookupFunction"]["Properties"]
    assert function["Timeout"] == 5  # the data action's timeout: a deadline answer comes well before
