"""The importable Genesys data actions (genesys/) against the routes they call: path, method, input and output."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from cxbridge.calls.event import EventKind
from cxbridge.calls.events import ROUTES
from cxbridge.calls.ingest_api import parse_call_event
from cxbridge.crm.assist import AssistLookupAnswer, AssistLookupRequest
from cxbridge.crm.lookup import LookupStatus
from tests.builders import BODIES

if TYPE_CHECKING:
    from pydantic import BaseModel

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


# ---- the ingestion routes' data actions (genesys/ingest-*.json) -------------------------------------------

OPENAPI = json.loads((ROOT / "docs" / "openapi.json").read_text())
INGEST = {
    "acw": (EventKind.ACW, "IngestAcwFunction"),
    "customer-end": (EventKind.CUSTOMER_END, "IngestCustomerEndFunction"),
    "user-end": (EventKind.USER_END, "IngestUserEndFunction"),
    "call-completed": (EventKind.CALL_COMPLETED, "IngestCallCompletedFunction"),
}
_JSON_TYPES = {"string": str, "integer": int, "number": (int, float)}


def _ingest_action(slug: str) -> dict[str, Any]:
    action: dict[str, Any] = json.loads((ROOT / "genesys" / f"ingest-{slug}.json").read_text())
    return action


def _types(schema: dict[str, Any]) -> set[str]:
    """The JSON types an OpenAPI property allows, null left out (an optional field)."""
    options = schema.get("anyOf", [schema])
    return {o["type"] for o in options if o.get("type") not in (None, "null")}


def _component(ref_or_schema: dict[str, Any]) -> dict[str, Any]:
    ref = ref_or_schema.get("$ref") or next(o["$ref"] for o in ref_or_schema["anyOf"] if "$ref" in o)
    schema: dict[str, Any] = OPENAPI["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return schema


def _route_body_schema(path: str) -> dict[str, Any]:
    body = OPENAPI["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return _component(body)


def test_there_is_one_action_per_ingestion_route_and_no_other_file() -> None:
    assert {kind for kind, _ in INGEST.values()} == set(ROUTES)
    files = {p.name for p in (ROOT / "genesys").glob("*.json")}
    assert files == {"assist-lookup.json"} | {f"ingest-{slug}.json" for slug in INGEST}
    names = [json.loads((ROOT / "genesys" / f).read_text())["name"] for f in files]
    assert len(set(names)) == len(names)  # an import into one integration needs distinct names


@pytest.mark.parametrize("slug", INGEST)
def test_an_ingest_action_calls_its_routes_path_and_method_with_the_events_scope(
    slug: str, sam: dict[str, Any]
) -> None:
    action = _ingest_action(slug)
    assert (action["integrationType"], action["actionType"]) == ("custom-rest-actions", "custom")
    request = action["config"]["request"]
    function = sam["Resources"][INGEST[slug][1]]["Properties"]
    event = function["Events"]["Api"]["Properties"]
    assert request["requestUrlTemplate"] == "${credentials.apiUrl}" + event["Path"]
    assert event["Path"] in OPENAPI["paths"]
    assert request["requestType"] == event["Method"].upper() == "POST"
    assert request["headers"] == {"Content-Type": "application/json", "Authorization": "Bearer ${authResponse.token}"}
    assert event["Auth"]["AuthorizationScopes"] == ["cxbridge/events.write"]
    # Genesys waits for the function's own answer (a 503 on a slow table) rather than timing out first.
    timeout = function.get("Timeout", sam["Globals"]["Function"]["Timeout"])
    assert timeout < action["config"]["timeoutSeconds"] <= 60


def _check_properties(contract: dict[str, Any], route: dict[str, Any], model: type[BaseModel]) -> None:
    assert set(contract["properties"]) <= set(route["properties"])
    assert set(contract.get("required", [])) == set(route.get("required", []))
    for name, prop in contract["properties"].items():
        field = model.model_fields[name]
        assert field.annotation is not None
        assert "SecretStr" not in str(field.annotation), f"{name}: contact data is never sent"
        if prop["type"] == "object":
            _check_properties(prop, _component(route["properties"][name]), field.annotation)
            continue
        allowed = _types(route["properties"][name])
        assert prop["type"] in allowed or (prop["type"] == "number" and "integer" in allowed), name
        if "enum" in prop:
            assert prop["enum"] == route["properties"][name]["enum"]


@pytest.mark.parametrize("slug", INGEST)
def test_an_ingest_actions_input_contract_is_the_routes_without_contact_data(slug: str, sam: dict[str, Any]) -> None:
    contract = _ingest_action(slug)["contract"]["input"]["inputSchema"]
    path = sam["Resources"][INGEST[slug][1]]["Properties"]["Events"]["Api"]["Properties"]["Path"]
    model = ROUTES[INGEST[slug][0]].model
    _check_properties(contract, _route_body_schema(path), model)
    assert contract["additionalProperties"] is False
    jsonschema.Draft4Validator.check_schema(contract)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**_sample_input(slug, contract), "ani": "tel:+13175550142"}, contract)


def _project(value: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The part of a Genesys body the contract carries: what a workflow binds to the action's inputs."""
    out: dict[str, Any] = {}
    for name, prop in schema["properties"].items():
        if name in value:
            out[name] = _project(value[name], prop) if prop["type"] == "object" else value[name]
    return out


def _sample_input(slug: str, contract: dict[str, Any]) -> dict[str, Any]:
    body = json.loads((BODIES / f"{slug}.json" if slug == "call-completed" else BODIES / f"{slug}-a.json").read_text())
    return _project(body, contract)


@pytest.mark.parametrize("slug", INGEST)
def test_every_real_body_sent_through_an_action_is_accepted_with_nothing_the_route_keeps_lost(slug: str) -> None:
    contract = _ingest_action(slug)["contract"]["input"]["inputSchema"]
    template = _ingest_action(slug)["config"]["request"]["requestTemplate"]
    assert template == "${input.rawRequest}"  # the inputs as one JSON object (facts 3.1)
    kind = INGEST[slug][0]
    bodies = sorted(BODIES.glob(f"{slug}*.json"))
    assert bodies
    for path in bodies:
        body = json.loads(path.read_text())
        body = body["detail"]["eventBody"] if "detail" in body else body  # a trigger hands the body on
        inputs = _project(body, contract)
        jsonschema.validate(inputs, contract)
        sent = json.loads(template.replace("${input.rawRequest}", json.dumps(inputs)))
        assert parse_call_event(sent, kind) == parse_call_event(body, kind), path.name
        if "ani" in body:
            assert "ani" not in sent


@pytest.mark.parametrize("slug", INGEST)
def test_an_ingest_actions_output_maps_the_routes_202_answer(slug: str) -> None:
    action = _ingest_action(slug)
    schema = action["contract"]["output"]["successSchema"]
    response = action["config"]["response"]
    accepted = OPENAPI["components"]["schemas"]["IngestAccepted"]
    assert set(schema["properties"]) == set(accepted["properties"])
    assert set(response["translationMap"]) == set(schema["properties"]) == set(response["translationMapDefaults"])
    assert all(path == f"$.{name}" for name, path in response["translationMap"].items())
    answer = {"status": "accepted", "conversationId": "6c7a3f4e-2b1d-4c8e-9f10-1a2b3c4d5e01", "outcome": "applied"}
    jsonschema.validate(answer, accepted)
    rendered = re.sub(r"\$\{(\w+)\}", lambda m: json.dumps(answer[m[1]]), response["successTemplate"])
    assert json.loads(rendered) == answer
    jsonschema.validate(json.loads(rendered), schema)
    defaults = {name: json.loads(value) for name, value in response["translationMapDefaults"].items()}
    rendered = re.sub(r"\$\{(\w+)\}", lambda m: json.dumps(defaults[m[1]]), response["successTemplate"])
    jsonschema.validate(json.loads(rendered), schema)
