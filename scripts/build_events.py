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

from cxbridge.domain.call_events import CallEvent, EventKind

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


def api_gateway_event(path: str, body: dict[str, object], api_key: str = "local-sample-key") -> dict[str, object]:
    """A REST API (v1) proxy event as API Gateway sends it to the function."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", "x-api-key": api_key, "User-Agent": "Genesys-DataAction"},
        "multiValueHeaders": {"Content-Type": ["application/json"], "x-api-key": [api_key]},
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
            "identity": {"apiKey": api_key, "sourceIp": "192.0.2.10"},
        },
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/CallRecords/stream/2026-11-23T00:00:00.000"


def stream_event() -> dict[str, object]:
    """A DynamoDB stream event for the outbox: conversation A's record gaining its disposition."""
    from cxbridge.adapters.dynamodb import record_to_item  # noqa: PLC0415 - only this event needs the package
    from cxbridge.domain.call_record import merge  # noqa: PLC0415
    from cxbridge.ingest_api import parse_call_event  # noqa: PLC0415

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


def build() -> dict[Path, str]:
    """Every generated file and its content."""
    files: dict[Path, str] = {OUT / "crm_job_outbox.stream.json": json.dumps(stream_event(), indent=2) + "\n"}
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
