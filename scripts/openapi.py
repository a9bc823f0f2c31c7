"""Write the OpenAPI document of every route from the code: ``docs/openapi.json`` and the copy the api-docs
function serves (``functions/api_docs/openapi.json``); ``--check`` fails when either is stale.

Powertools generates the workitems routes from their models; the ingestion routes come from the models
their handlers validate with (``cxbridge.calls.openapi``); the toil report, the bot callback, the workitem
events and the documentation routes are added here from their models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "openapi.json"
SERVED = ROOT / "functions" / "api_docs" / "openapi.json"
TITLE = "cxbridge"
VERSION = "1.2.0"
DESCRIPTION = (
    "Genesys Cloud conversation events in (one route per event type, acknowledged with 202), and the REST "
    "capture point of source systems (BPM, CRM, workflow): work becomes a Genesys Cloud workitem with an SLA "
    "that escalates on a ladder; the outcome is POSTed to the callback URL when it closes. The toil report "
    "says which dispositions to automate; Automation Anywhere reports bot runs to the callback."
)
SCHEMA_REF = "#/components/schemas/{model}"
ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def _errors(**descriptions: str) -> dict[str, Any]:
    return {status.removeprefix("s"): {"description": d, "content": ERROR} for status, d in descriptions.items()}


def _schema(model: Any, schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template=SCHEMA_REF)
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": SCHEMA_REF.format(model=model.__name__)}


def toil_report() -> dict[str, Any]:
    from cxbridge.core.identity import TOIL_READ  # noqa: PLC0415
    from cxbridge.core.rest import requires  # noqa: PLC0415
    from cxbridge.toil.models import ReportQuery  # noqa: PLC0415

    fields = ReportQuery.model_json_schema()["properties"]
    described = {
        "date": "The period's last day (YYYY-MM-DD); default yesterday (UTC).",
        "days": "Days in the period (1 to 31).",
        "scope": "Shares of the whole org's calls, or of each queue's.",
        "format": "json or html; without it, Accept: text/html answers the page.",
    }
    return {
        "get": {
            "tags": ["toil"],
            "summary": "Which dispositions to automate: share of calls against average handle time",
            "security": requires(TOIL_READ),
            "parameters": [
                {"name": n, "in": "query", "required": False, "description": d, "schema": fields[n]}
                for n, d in described.items()
            ],
            "responses": {
                "200": {
                    "description": "The report (JSON), or the page with its chart (HTML).",
                    "content": {
                        "application/json": {"schema": {"type": "object"}},
                        "text/html": {"schema": {"type": "string"}},
                    },
                },
                **_errors(
                    s400="A query parameter is invalid; `errors` names it.",
                    s401="No valid access token with the toil.read scope.",
                    s503="The source could not be read; retry after `Retry-After` seconds.",
                ),
            },
        }
    }


def bot_callback(schemas: dict[str, Any]) -> dict[str, Any]:
    from cxbridge.crm.callback_models import BotRunResult  # noqa: PLC0415 - the handler's own model
    from cxbridge.crm.callback_token import HEADER  # noqa: PLC0415

    settled = {
        "type": "object",
        "required": ["status", "deploymentId"],
        "properties": {"status": {"type": "string"}, "deploymentId": {"type": "string"}},
    }
    return {
        "post": {
            "tags": ["bots"],
            "summary": "An Automation Anywhere bot run's result (the Control Room's callback)",
            "security": [],
            "parameters": [
                {
                    "name": HEADER,
                    "in": "header",
                    "required": True,
                    "description": "The per-deployment token the worker put in the deploy's callbackInfo.headers.",
                    "schema": {"type": "string"},
                }
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _schema(BotRunResult, schemas)}},
            },
            "responses": {
                "200": {"description": "The call is settled.", "content": {"application/json": {"schema": settled}}},
                **_errors(
                    s400="The body is not a run result; `errors` names each field.",
                    s401=f"No {HEADER} header.",
                    s403="The token is not this deployment's.",
                    s404="No such deployment.",
                    s503="Retry after `Retry-After` seconds.",
                ),
            },
        }
    }


def workitem_events(schemas: dict[str, Any]) -> dict[str, Any]:
    from cxbridge.core.identity import EVENTS_WRITE  # noqa: PLC0415
    from cxbridge.core.rest import requires  # noqa: PLC0415
    from cxbridge.workitems.models import WorkitemEvent  # noqa: PLC0415

    event = _schema(WorkitemEvent, schemas)
    envelope = {
        "type": "object",
        "required": ["detail"],
        "properties": {"detail": {"type": "object", "properties": {"eventBody": event}}},
    }
    accepted = {
        "type": "object",
        "required": ["status", "outcome"],
        "properties": {
            "status": {"const": "accepted"},
            "workitemId": {"type": ["string", "null"]},
            "outcome": {"type": "string"},
        },
    }
    return {
        "post": {
            "tags": ["workitem events"],
            "summary": "A Genesys Task Management workitem event (bare or in its EventBridge envelope)",
            "security": requires(EVENTS_WRITE),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"anyOf": [event, envelope]}}},
            },
            "responses": {
                "202": {
                    "description": "Applied, or not one of ours.",
                    "content": {"application/json": {"schema": accepted}},
                },
                **_errors(
                    s400="A field is missing or invalid; `errors` names it.",
                    s401="No valid access token with the events.write scope.",
                    s413="The body is over `MaxBodyBytes`.",
                    s415="The body is not JSON.",
                    s503="Retry after `Retry-After` seconds.",
                ),
            },
        }
    }


def assist_lookup(schemas: dict[str, Any]) -> dict[str, Any]:
    from cxbridge.core.identity import ASSIST_READ  # noqa: PLC0415
    from cxbridge.core.rest import requires  # noqa: PLC0415
    from cxbridge.crm.assist import AssistLookupAnswer, AssistLookupRequest  # noqa: PLC0415

    return {
        "post": {
            "tags": ["assist"],
            "summary": "The customer's CRM record for a Genesys flow's data action, within the deadline",
            "security": requires(ASSIST_READ),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _schema(AssistLookupRequest, schemas)}},
            },
            "responses": {
                "200": {
                    "description": "found, notFound, ambiguous, or fallback (the CRM did not answer in time).",
                    "content": {"application/json": {"schema": _schema(AssistLookupAnswer, schemas)}},
                },
                **_errors(
                    s400="No lookup value, or one that is not valid; `errors` names the field.",
                    s401="No valid access token with the assist.read scope.",
                    s415="The body is not JSON.",
                ),
            },
        }
    }


def documentation() -> dict[str, Any]:
    return {
        "/openapi.json": {
            "get": {
                "tags": ["documentation"],
                "summary": "This document (no token)",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/docs": {
            "get": {
                "tags": ["documentation"],
                "summary": "Swagger UI on this document (no token)",
                "security": [],
                "responses": {
                    "200": {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}}
                },
            }
        },
    }


def document() -> dict[str, Any]:
    """Every route of the API."""
    from cxbridge.calls.openapi import add_ingest_routes  # noqa: PLC0415
    from cxbridge.core import rest  # noqa: PLC0415
    from cxbridge.workitems.api import app  # noqa: PLC0415 - the routes are the source

    built = add_ingest_routes(rest.openapi_document(app, TITLE, VERSION, DESCRIPTION))
    schemas = built["components"]["schemas"]
    built["paths"] |= {
        "/toil/report": toil_report(),
        "/bots/callback": bot_callback(schemas),
        "/genesys/workitems": workitem_events(schemas),
        "/assist/lookup": assist_lookup(schemas),
        **documentation(),
    }
    return built


def generate() -> str:
    """The document as committed: sorted keys, two-space indent, final newline."""
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = generate()
    stale = [path for path in (DOCUMENT, SERVED) if not path.is_file() or path.read_text() != text]
    if "--check" in argv:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale: run `make openapi`", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
