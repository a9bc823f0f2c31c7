"""The ingest functions through API Gateway proxy events, against DynamoDB and SQS on moto."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pytest

from scripts.build_events import ROUTES, api_gateway_event, route_of
from tests.builders import all_bodies, body, request

if TYPE_CHECKING:
    from tests.integration.conftest import Stack

ACW = "/genesys/conversations/acw"


def post(stack: Stack, stem: str) -> dict[str, Any]:
    path, function = route_of(stem)
    return stack.invoke(function, api_gateway_event(path, body(stem)))


def payload(response: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(response["body"])
    return data


def test_accepts_an_acw_event_with_202_and_stores_the_call_record(stack: Stack) -> None:
    response = post(stack, "acw-a")
    assert response["statusCode"] == 202
    assert payload(response) == {
        "status": "accepted",
        "conversationId": body("acw-a")["conversationId"],
        "outcome": "applied",
    }
    item = stack.record(body("acw-a")["conversationId"])
    assert item is not None
    assert item["wrapupCodeId"] == {"S": body("acw-a")["wrapupCode"]}
    assert item["acwMs"] == {"N": "90500"}
    assert item["syncStatus"] == {"S": "pending"}
    assert int(item["expiresAt"]["N"]) > body("acw-a")["eventTime"] // 1000


def test_the_stored_record_holds_no_contact_data_or_notes(stack: Stack) -> None:
    for stem in ("acw-a", "user-end-a", "customer-end-a"):
        post(stack, stem)
    stored = json.dumps(stack.record(body("acw-a")["conversationId"]))
    for secret in ("+13175550142", "18005550199", "Jane", "jane.roe@example.com", "invoice"):
        assert secret not in stored


def test_a_redelivered_event_is_acknowledged_and_writes_nothing(stack: Stack) -> None:
    post(stack, "user-end-a")
    before = stack.record(body("user-end-a")["conversationId"])
    response = post(stack, "user-end-a")
    assert response["statusCode"] == 202
    assert payload(response)["outcome"] == "duplicate"
    assert stack.record(body("user-end-a")["conversationId"]) == before


def test_an_eventbridge_envelope_posted_over_http_is_accepted(stack: Stack) -> None:
    response = post(stack, "acw-b2")
    assert response["statusCode"] == 202
    assert payload(response)["conversationId"] == body("acw-b2")["detail"]["eventBody"]["conversationId"]


def test_an_event_delivered_by_the_eventbridge_rule_is_ingested(stack: Stack) -> None:
    result = stack.invoke("ingest_acw", body("acw-b1"))
    assert result["outcome"] == "applied"


def test_an_invalid_eventbridge_event_raises_so_lambda_retries_and_dead_letters_it(stack: Stack) -> None:
    from cxbridge.calls.event import EventKind
    from cxbridge.calls.ingest_api import RejectedEvent, handle_eventbridge

    data = body("acw-b1")
    del data["detail"]["eventBody"]["conversationId"]
    with pytest.raises(RejectedEvent, match=r"detail\.eventBody\.conversationId"):
        handle_eventbridge(data, EventKind.ACW)


def test_missing_required_field_is_a_400_naming_it(stack: Stack) -> None:
    data = {k: v for k, v in body("acw-a").items() if k != "conversationId"}
    response = stack.invoke("ingest_acw", request(ACW, data))
    assert response["statusCode"] == 400
    assert payload(response)["errors"] == [{"field": "conversationId", "message": "Field required"}]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("{not json", "body"),
        ("[1, 2]", "body"),
        ('{"eventTime": "soon", "conversationId": "6c7a3f4e-2b1d-4c8e-9f10-1a2b3c4d5e01"}', "eventTime"),
    ],
)
def test_malformed_bodies_are_400s(stack: Stack, raw: str, field: str) -> None:
    response = stack.invoke("ingest_acw", request(ACW, None, raw=raw))
    assert response["statusCode"] == 400
    assert [e["field"] for e in payload(response)["errors"]] == [field]


@pytest.mark.parametrize(
    ("function", "route", "changes", "field"),
    [
        ("ingest_acw", ACW, {"wrapupDurationMs": 10**40}, "wrapupDurationMs"),
        ("ingest_user_end", "/genesys/conversations/user-end", {"heldDurationMs": 10**400}, "heldDurationMs"),
    ],
)
def test_numbers_too_large_to_store_are_400s_not_500s(
    stack: Stack, function: str, route: str, changes: dict[str, int], field: str
) -> None:
    stem = "acw-a" if function == "ingest_acw" else "user-end-a"
    response = stack.invoke(function, request(route, {**body(stem), **changes}))
    assert response["statusCode"] == 400
    assert [e["field"] for e in payload(response)["errors"]] == [field]


@pytest.mark.parametrize("duration", ["1e300", "Infinity", "NaN"])
def test_call_completed_duration_that_cannot_be_stored_is_a_400(stack: Stack, duration: str) -> None:
    raw = json.dumps(body("call-completed")).replace('"duration": ', f'"duration": {duration}, "was": ', 1)
    response = stack.invoke("ingest_call_completed", request("/genesys/conversations/call-completed", None, raw=raw))
    assert response["statusCode"] == 400, payload(response)
    assert [e["field"] for e in payload(response)["errors"]] == ["data.duration"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_non_json_content_type_is_415(stack: Stack, content_type: str) -> None:
    response = stack.invoke("ingest_acw", request(ACW, body("acw-a"), content_type=content_type))
    assert response["statusCode"] == 415


def test_json_with_charset_and_base64_body_is_accepted(stack: Stack) -> None:
    event = request(ACW, None, content_type="application/json; charset=utf-8")
    event["body"] = base64.b64encode(json.dumps(body("acw-a")).encode()).decode()
    event["isBase64Encoded"] = True
    assert stack.invoke("ingest_acw", event)["statusCode"] == 202


def test_body_over_the_limit_is_413(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_BODY_BYTES", "2048")
    big = {**body("acw-a"), "padding": "x" * 4096}
    response = stack.invoke("ingest_acw", request(ACW, big))
    assert response["statusCode"] == 413
    assert "2048" in payload(response)["message"]


def test_storage_failure_is_503_with_retry_after_not_a_silent_accept(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALL_RECORDS_TABLE", "no-such-table")
    response = post(stack, "acw-a")
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "1"


def test_out_of_order_delivery_gives_the_same_record_as_in_order(stack: Stack) -> None:
    stems = ["acw-b2", "customer-end-b", "acw-b1", "user-end-b2", "user-end-b1"]
    for stem in stems:
        assert post(stack, stem)["statusCode"] == 202
    item = stack.record(body("acw-b1")["detail"]["eventBody"]["conversationId"])
    assert item is not None
    assert item["wrapupCodeId"]["S"] == body("acw-b2")["detail"]["eventBody"]["wrapupCode"]
    assert item["talkMs"]["N"] == str(120000 + 260000)
    assert item["handleMs"]["N"] == str(120000 + 260000 + 30000 + 40000 + 60000)


@pytest.mark.filterwarnings("ignore:Dimension 'eventType' has already been added")
def test_replaying_every_sample_three_times_concurrently_queues_one_job_per_conversation(stack: Stack) -> None:
    """The must-show of the ingestion issue: 3x concurrent redelivery, exactly one CRM-sync job each."""
    stems = sorted(all_bodies()) * 3
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda stem: post(stack, stem)["statusCode"], stems))
    assert set(statuses) == {202}
    stack.relay()
    stack.relay()  # a second pass over the stream finds nothing new
    jobs = stack.queued_jobs()
    with_disposition = {
        str((b["detail"]["eventBody"] if "detail" in b else b)["conversationId"])
        for stem, b in all_bodies().items()
        if stem.startswith(("acw", "call-completed"))
    }
    assert sorted(j["conversationId"] for j in jobs) == sorted(with_disposition)
    for job in jobs:
        assert set(job) <= {
            "conversationId", "recordVersion", "wrapupCodeId", "dispositionName", "dispositionTime", "userId",
            "queueId", "mediaType", "direction", "talkMs", "heldMs", "acwMs", "handleMs", "callDate",
        }  # fmt: skip


def test_each_route_has_a_function_and_a_sample(stack: Stack) -> None:
    samples = {route_of(stem)[1] for stem in all_bodies()}
    assert samples == {function for _, function in ROUTES.values()}


def test_every_function_of_the_template_has_a_sample_event() -> None:
    from local.template import resources_of_type
    from tests.builders import EVENTS

    folders = {
        fn["Properties"]["CodeUri"].split("/")[-1] for fn in resources_of_type("AWS::Serverless::Function").values()
    }
    have = {p.name.split(".", 1)[0] for p in EVENTS.glob("*.json")}
    assert folders <= have, sorted(folders - have)


def test_the_other_functions_sample_events_match_their_models() -> None:
    """What ``sam local invoke`` would feed the functions beyond ingestion parses as they parse it."""
    from cxbridge.crm.job import CrmJob
    from cxbridge.toil.models import ScheduledRun
    from cxbridge.transcripts.models import TranscriptJob
    from cxbridge.workitems.models import CallbackJob, CaptureRequest
    from tests.builders import EVENTS

    def load(name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((EVENTS / name).read_text())
        return data

    for record in load("crm_sync_worker.sqs.json")["Records"]:
        CrmJob.model_validate_json(record["body"])
    for record in load("transcript_worker.sqs.json")["Records"]:
        TranscriptJob.model_validate_json(record["body"])
    for record in load("workitem_callback.sqs.json")["Records"]:
        CallbackJob.model_validate_json(record["body"])
    CaptureRequest.model_validate_json(load("workitems_api.create.apigw.json")["body"])
    ScheduledRun.model_validate(load("toil_daily.schedule.json"))
    assert json.loads(load("bot_callback.apigw.json")["body"])["deploymentId"]
    assert load("toil_report_api.apigw.json")["queryStringParameters"] == {"date": "2026-11-22", "days": "7"}
    assert load("api_docs.docs.apigw.json")["resource"] == "/docs"


def test_every_lambda_event_in_events_runs_its_function(stack: Stack) -> None:
    """The files under ``events/`` are what ``sam local invoke -e`` feeds; each must work as is."""
    from tests.builders import EVENTS

    files = sorted(p for p in EVENTS.glob("*.json") if p.name.startswith(("ingest_", "crm_job_outbox")))
    assert files
    for path in files:
        function = path.name.split(".", 1)[0]
        result = stack.invoke(function, json.loads(path.read_text()))
        if "statusCode" in result:
            assert result["statusCode"] == 202, path.name
        elif "batchItemFailures" in result:
            assert result["batchItemFailures"] == [], path.name
        else:
            assert result["status"] == "accepted", path.name
    assert {j["conversationId"] for j in stack.queued_jobs()} == {body("acw-a")["conversationId"]}


def test_an_event_after_the_crm_sync_keeps_the_crm_id_and_sync_time(stack: Stack) -> None:
    from cxbridge.calls.store import DynamoSyncStatusStore, record_from_item

    cid = body("acw-a")["conversationId"]
    post(stack, "acw-a")
    synced = DynamoSyncStatusStore(stack.dynamodb, "CallRecordsTable")
    item = stack.record(cid)
    assert item is not None
    synced.mark_synced(record_from_item(item), "a0Q000000000001")
    post(stack, "customer-end-a")  # a later event that changes the record, not the disposition
    item = stack.record(cid)
    assert item is not None
    assert "customer.end" in json.dumps(item["cells"])
    assert item["crmId"] == {"S": "a0Q000000000001"}
    assert "syncedAt" in item
    assert item["syncStatus"] == {"S": "synced"}


def test_an_event_after_a_failed_sync_keeps_the_reason(stack: Stack) -> None:
    from cxbridge.calls.store import DynamoSyncStatusStore

    cid = body("acw-a")["conversationId"]
    post(stack, "acw-a")
    DynamoSyncStatusStore(stack.dynamodb, "CallRecordsTable").mark_failed(cid, "retries-exhausted:http:503")
    post(stack, "user-end-a")
    item = stack.record(cid)
    assert item is not None
    assert item["syncError"] == {"S": "retries-exhausted:http:503"}
