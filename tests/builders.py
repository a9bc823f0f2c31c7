"""Small builders for Genesys events and API Gateway requests, starting from the samples in ``events/``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scripts.build_events import api_gateway_event, route_of

EVENTS = Path(__file__).resolve().parent.parent / "events"
BODIES = EVENTS / "genesys"


def body(stem: str) -> dict[str, Any]:
    """A sample Genesys body from ``events/genesys``."""
    data: dict[str, Any] = json.loads((BODIES / f"{stem}.json").read_text())
    return data


def all_bodies() -> dict[str, dict[str, Any]]:
    """Every sample body by file stem."""
    return {p.stem: body(p.stem) for p in sorted(BODIES.glob("*.json"))}


def function_of(stem: str) -> str:
    """The function folder that ingests a sample body."""
    return route_of(stem)[1]


def request(path: str, payload: Any, content_type: str = "application/json", raw: str | None = None) -> dict[str, Any]:
    """An API Gateway proxy event for ``payload`` posted to ``path``."""
    event = api_gateway_event(path, {})
    event["headers"] = {"Content-Type": content_type, "x-api-key": "k"}
    event["body"] = raw if raw is not None else json.dumps(payload)
    return event


def eventbody(stem: str) -> dict[str, Any]:
    """The bare ``eventBody`` of a sample, unwrapping an EventBridge envelope."""
    data = body(stem)
    return dict(data["detail"]["eventBody"]) if "detail" in data else data
