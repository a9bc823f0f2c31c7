"""The README's run command as a user runs it: a subprocess serving HTTP, events posted, the CRM checked."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from local.template import resources_of_type

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events" / "genesys"


def http(method: str, url: str, body: Any = None, api_key: str | None = "local-dev-key") -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["x-api-key"] = api_key
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = Request(url, data=data, headers=headers, method=method)  # noqa: S310 - 127.0.0.1 only
    try:
        with urlopen(request, timeout=30) as resp:  # noqa: S310
            return resp.status, json.loads(resp.read() or b"{}")
    except HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def crm_records(urls: dict[str, str]) -> dict[str, Any]:
    _, state = http("GET", urls["CRM"] + "/__sandbox/state", api_key=None)
    records: dict[str, Any] = state["records"].get("Call_Log__c", {})
    return records


def test_a_sample_event_gets_202_and_its_call_appears_in_the_crm_sandbox(local_stack: dict[str, str]) -> None:
    base = local_stack["API"]
    for stem in ("customer-end-a", "user-end-a", "acw-a", "acw-a"):  # the ACW event twice
        path = "/genesys/conversations/" + stem.rsplit("-", 1)[0]
        status, answer = http("POST", base + path, (EVENTS / f"{stem}.json").read_bytes())
        assert status == 202, answer
    conversation = json.loads((EVENTS / "acw-a.json").read_text())["conversationId"]
    deadline = time.monotonic() + 30
    while conversation not in crm_records(local_stack) and time.monotonic() < deadline:
        time.sleep(0.3)
    record = crm_records(local_stack)[conversation]
    assert record["Disposition__c"] == "Billing question"  # the wrap-up code's name, from the Genesys sandbox
    assert record["Duration_Seconds__c"] == round((251000 + 45000 + 90500) / 1000)


def test_every_route_of_the_template_is_served_and_requires_the_api_key(local_stack: dict[str, str]) -> None:
    base = local_stack["API"]
    for fn in resources_of_type("AWS::Serverless::Function").values():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] != "Api":
                continue
            path = re.sub(r"\{\w+\}", "x", event["Properties"]["Path"])
            status, _ = http(event["Properties"]["Method"].upper(), base + path, {}, api_key="wrong")
            assert status == 403, path


def test_bad_input_is_a_4xx_naming_the_field(local_stack: dict[str, str]) -> None:
    status, answer = http("POST", local_stack["API"] + "/genesys/conversations/acw", {"eventTime": 1})
    assert status == 400
    assert [e["field"] for e in answer["errors"]] == ["conversationId"]
