"""Write the sample events under ``events/`` from the Genesys bodies in ``events/genesys/``.

``events/genesys/*.json`` are request bodies as Genesys sends them (bare ``eventBody`` from a Workflow
data action, or the EventBridge envelope) and the seed guide's webhook. For each, this writes the Lambda
event a function receives — an API Gateway proxy event, or the EventBridge event itself — so that
``sam local invoke -e events/<file>.json <Function>`` works. Run ``make events`` after editing a body;
a test fails while the two disagree.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from cxbridge.calls.event import CallEvent, EventKind
from local.auth import sample_authorizer

ROOT = Path(__file__).resolve().parent.parent
BODIES = ROOT / "events" / "genesys"
OUT = ROOT / "events"

# body file stem prefix -> (route, function folder)
ROUTES = {
    "acw": ("/genesys/conversations/acw", "ingest_acw"),
    "customer-end": ("/genesys/conversations/customer-end", "ingest_customer_end"),
    "user-end": ("/genesys/conversations/user-end", "ingest_user_end"),
    "call-completed": ("/genesys/conversations/call-completed", "ingest_call_completed"),
}


def route_of(stem: str) -> tuple[str, str]:
    """The route and function a body file belongs to, from its name (``acw-…``, ``user-end-…``)."""
    for prefix in sorted(ROUTES, key=len, reverse=True):
        if stem.startswith(prefix):
            return ROUTES[prefix]
    raise ValueError(f"no route for {stem}")


def api_gateway_event(path: str, body: dict[str, object], client_id: str = "genesys") -> dict[str, object]:
    """A REST API (v1) proxy event as API Gateway sends it to the function, from an authorized caller."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", "User-Agent": "Genesys-DataAction"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "POST",
            "path": f"/dev{path}",
            "stage": "dev",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "192.0.2.10"},
            "authorizer": sample_authorizer(client_id),
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/CallRecords/stream/2026-11-23T00:00:00.000"


def stream_event() -> dict[str, object]:
    """A DynamoDB stream event for the outbox: conversation A's record gaining its disposition."""
    from cxbridge.calls.ingest_api import parse_call_event  # noqa: PLC0415
    from cxbridge.calls.record import merge  # noqa: PLC0415
    from cxbridge.calls.store import record_to_item  # noqa: PLC0415 - only this event needs the package

    def body(stem: str, kind: EventKind) -> CallEvent:
        return parse_call_event(json.loads((BODIES / f"{stem}.json").read_text()), kind)

    record = merge(None, body("customer-end-a", EventKind.CUSTOMER_END)).record
    record = merge(record, body("user-end-a", EventKind.USER_END)).record
    # The item written from ``record`` is version 1; the ACW event is merged into that.
    new = merge(replace(record, version=1), body("acw-a", EventKind.ACW)).record
    now = 1763900500000
    images = {"OldImage": record_to_item(record, 90, now), "NewImage": record_to_item(new, 90, now)}
    return {
        "Records": [
            {
                "eventID": "1",
                "eventName": "MODIFY",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": now // 1000,
                    "Keys": {"conversationId": {"S": new.conversation_id}},
                    **images,
                    "SequenceNumber": "111",
                    "SizeBytes": 1024,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": STREAM_ARN,
            }
        ]
    }


# A ``v2.taskmanagement.workitems.{id}`` event body (fields per WorkitemsEventsNotificationWorkitem):
# dates are strings, references are flattened ids.
WORKITEM_EVENT: dict[str, object] = {
    "id": "7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a09",
    "name": "Address change for customer 0001",
    "typeId": "7c1f3e0a-2d4b-4f7e-9a61-3b8c5d2e1f02",
    "priority": 10,
    "dateCreated": "2026-11-23T09:00:00.000Z",
    "dateModified": "2026-11-23T09:20:00.000Z",
    "dateDue": "2026-11-23T13:00:00.000Z",
    "statusId": "c1d2c3e4-f5a6-4b7c-8d9e-0f1a2b3c4d53",
    "statusCategory": "Closed",
    "dateClosed": "2026-11-23T09:20:00.000Z",
    "queueId": "5a2e8c41-9f3d-4b6a-8e17-0c4d2b9a7e13",
    "assigneeId": "2f1e0d9c-8b7a-4654-b3c2-d1e0f9a8b7c6",
    "externalTag": "case-0001",
    "operation": "edit",
    "changes": [
        {
            "op": "replace",
            "field": "statusId",
            "oldValue": "c1d2c3e4-f5a6-4b7c-8d9e-0f1a2b3c4d51",
            "newValue": "c1d2c3e4-f5a6-4b7c-8d9e-0f1a2b3c4d53",
        }
    ],
    "customFields": {},
}


def sqs_event(queue: str, bodies: list[dict[str, object]]) -> dict[str, object]:
    """An SQS event source batch as Lambda delivers it."""
    return {
        "Records": [
            {
                "messageId": f"0e1f2a3b-4c5d-4e6f-8a9b-{n:012d}",
                "receiptHandle": f"AQEB-sample-receipt-handle-{n}",
                "body": json.dumps(body),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1763900500000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1763900500001",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue}",
                "awsRegion": "us-east-1",
            }
            for n, body in enumerate(bodies)
        ]
    }


def other_events() -> dict[str, object]:
    """Events of the functions that are not fed by Genesys conversation bodies."""
    acw = json.loads((BODIES / "acw-a.json").read_text())
    customer_end = json.loads((BODIES / "customer-end-a.json").read_text())
    workitem: dict[str, object] = {
        "sourceId": "case-0001",
        "worktype": "address-change",
        "name": "Address change for customer 0001",
        "sla": {"durationSeconds": 14400},
        "customFields": {"customer_ref_identifier": "C-0001", "new_country_text": "IE"},
        "callbackUrl": "https://crm.example.com/workitems/outcome",
    }
    get_report = api_gateway_event("/toil/report", {})
    get_report |= {"httpMethod": "GET", "body": None, "queryStringParameters": {"date": "2026-11-22", "days": "7"}}
    swagger_ui = api_gateway_event("/docs", {})
    context = {k: v for k, v in dict(swagger_ui["requestContext"]).items() if k != "authorizer"}  # type: ignore[call-overload]
    swagger_ui |= {
        "httpMethod": "GET",
        "body": None,
        "requestContext": context | {"httpMethod": "GET"},
    }  # public: no claims
    return {
        "api_docs.docs.apigw": swagger_ui,
        "crm_sync_worker.sqs": sqs_event(
            "CrmSyncQueue", [{"conversationId": acw["conversationId"], "recordVersion": 2}]
        ),
        "transcript_worker.sqs": sqs_event(
            "TranscriptQueue",
            [
                {
                    "conversationId": acw["conversationId"],
                    "endedAt": customer_end["eventTime"],
                    "queuedAt": 1763900500000,
                    "mediaType": "VOICE",
                    "queueId": acw["queueId"],
                    "userId": acw["userId"],
                }
            ],
        ),
        "bot_callback.apigw": api_gateway_event(
            "/bots/callback", {"deploymentId": "14c2b6f8-8f4f-4a1e-9e4a-0b7c3f1d2e5a", "status": "COMPLETED"}
        ),
        "toil_daily.schedule": {
            "version": "0",
            "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": "2026-11-23T02:15:00Z",
            "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/cxbridge-toil-daily"],
            "detail": {},
        },
        "crm_reconciler.schedule": {
            "version": "0",
            "id": "8f1d2c3b-4a5e-4f60-9b7a-1c2d3e4f5a6b",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": "2026-11-23T02:10:00Z",
            "region": "us-east-1",
            "resources": ["arn:aws:events:us-east-1:123456789012:rule/cxbridge-crm-reconciler"],
            "detail": {},
        },
        "toil_report_api.apigw": get_report,
        "assist_lookup.apigw": api_gateway_event("/assist/lookup", {"phone": "+15550100199"}),
        "workitems_api.create.apigw": api_gateway_event("/workitems", workitem, "source-crm"),
        "workitem_sla_step.sfn": {"workitemId": "0b9f3c2a-6d1e-4f5a-8b7c-9d0e1f2a3b4c", "generation": 1, "step": 0},
        "workitem_events.apigw": api_gateway_event("/genesys/workitems", WORKITEM_EVENT),
        "workitem_callback.sqs": sqs_event(
            "WorkitemCallbackQueue",
            [
                {
                    "workitemId": "0b9f3c2a-6d1e-4f5a-8b7c-9d0e1f2a3b4c",
                    "key": "0b9f3c2a-6d1e-4f5a-8b7c-9d0e1f2a3b4c#Closed",
                    "payload": {"owner": "source-crm", "sourceId": "case-0001", "status": "Closed"},
                }
            ],
        ),
    }


def build() -> dict[Path, str]:
    """Every generated file and its content."""
    stream = json.dumps(stream_event(), indent=2) + "\n"  # the call ends and gets its disposition: both outboxes act
    files: dict[Path, str] = {OUT / "crm_job_outbox.stream.json": stream, OUT / "transcript_outbox.stream.json": stream}
    for name, event in other_events().items():
        files[OUT / f"{name}.json"] = json.dumps(event, indent=2) + "\n"
    for src in sorted(BODIES.glob("*.json")):
        body = json.loads(src.read_text())
        path, function = route_of(src.stem)
        event = api_gateway_event(path, body)
        files[OUT / f"{function}.{src.stem}.apigw.json"] = json.dumps(event, indent=2) + "\n"
        if "detail" in body:
            files[OUT / f"{function}.{src.stem}.eventbridge.json"] = json.dumps(body, indent=2) + "\n"
    return files


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for path, content in build().items():
        if path.exists() and path.read_text() == content:
            continue
        stale.append(path.name)
        if not check:
            path.write_text(content)
    if check and stale:
        print("stale generated events (run make events):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
