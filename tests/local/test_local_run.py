"""The README's run command as a user runs it: a subprocess serving HTTP, tokens fetched, events posted,
the CRM checked; and the trust model, black box (issue 13)."""

from __future__ import annotations

import base64
import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from local.template import resources_of_type

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events" / "genesys"


def send(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = Request(url, data=data, headers=headers or {}, method=method)  # noqa: S310 - 127.0.0.1 only
    try:
        with urlopen(request, timeout=30) as resp:  # noqa: S310
            return resp.status, json.loads(resp.read() or b"{}")
    except HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def token(base: str, client: str, scope: str | None = None) -> str:
    """An access token from the local token endpoint, as a caller gets one from Cognito's."""
    basic = base64.b64encode(f"{client}:local-{client}-secret".encode()).decode()
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"}
    status, answer = send("POST", base + "/oauth2/token", urlencode(form).encode(), headers)
    assert status == 200, answer
    assert answer["token_type"] == "Bearer"
    return str(answer["access_token"])


def http(method: str, url: str, body: Any = None, bearer: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return send(method, url, body, headers)


def capture(source_id: str) -> dict[str, Any]:
    return {
        "sourceId": source_id,
        "worktype": "address-change",
        "name": "Address change",
        "sla": {"durationSeconds": 3600},
    }


def crm_records(urls: dict[str, str]) -> dict[str, Any]:
    _, state = http("GET", urls["CRM"] + "/__sandbox/state")
    records: dict[str, Any] = state["records"].get("Call_Log__c", {})
    return records


def test_a_sample_event_gets_202_and_its_call_appears_in_the_crm_sandbox(local_stack: dict[str, str]) -> None:
    base = local_stack["API"]
    genesys = token(base, "genesys")
    for stem in ("customer-end-a", "user-end-a", "acw-a", "acw-a"):  # the ACW event twice
        path = "/genesys/conversations/" + stem.rsplit("-", 1)[0]
        status, answer = http("POST", base + path, (EVENTS / f"{stem}.json").read_bytes(), genesys)
        assert status == 202, answer
    conversation = json.loads((EVENTS / "acw-a.json").read_text())["conversationId"]
    deadline = time.monotonic() + 30
    while conversation not in crm_records(local_stack) and time.monotonic() < deadline:
        time.sleep(0.3)
    record = crm_records(local_stack)[conversation]
    assert record["Disposition__c"] == "Billing question"  # the wrap-up code's name, from the Genesys sandbox
    assert record["Duration_Seconds__c"] == round((251000 + 45000 + 90500) / 1000)


def routes() -> list[tuple[str, str]]:
    found = []
    for fn in resources_of_type("AWS::Serverless::Function").values():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                found.append(
                    (event["Properties"]["Method"].upper(), re.sub(r"\{\w+\}", "x", event["Properties"]["Path"]))
                )
    return found


PUBLIC = {"/openapi.json", "/docs"}  # the API's documentation (tests/local/test_api_docs.py)


def test_every_route_refuses_a_request_without_a_valid_token_with_401(local_stack: dict[str, str]) -> None:
    base = local_stack["API"]
    forged = token(base, "genesys")[:-4] + "AAAA"  # a token whose signature does not verify
    for method, path in routes():
        if path in PUBLIC:
            continue
        assert http(method, base + path, {})[0] == 401, path
        assert http(method, base + path, {}, forged)[0] == 401, path


def test_a_token_without_the_routes_scope_is_refused_as_api_gateway_refuses_it(local_stack: dict[str, str]) -> None:
    base = local_stack["API"]
    source = token(base, "source-crm")  # workitems.read and workitems.write, no events.write
    toil_only = token(base, "genesys", scope="cxbridge/toil.read")
    acw = (EVENTS / "acw-a.json").read_bytes()
    assert http("POST", base + "/genesys/conversations/acw", acw, source)[0] == 401
    assert http("POST", base + "/genesys/conversations/acw", acw, toil_only)[0] == 401
    assert http("GET", base + "/workitems?queue=q", None, token(base, "genesys"))[0] == 401
    assert http("GET", base + "/toil/report", None, source)[0] == 401
    status, answer = send("POST", base + "/oauth2/token", b"grant_type=client_credentials", {})
    assert (status, answer) == (401, {"error": "invalid_client"})


def test_one_source_system_cannot_see_or_change_anothers_workitem(local_stack: dict[str, str]) -> None:
    base = local_stack["API"]
    crm, bpm = token(base, "source-crm"), token(base, "source-bpm")
    body = {
        "sourceId": "BLACKBOX-1",
        "worktype": "address-change",
        "name": "Address change",
        "sla": {"durationSeconds": 3600},
    }
    status, mine = http("POST", base + "/workitems", body, crm)
    assert status == 201, mine
    assert http("GET", base + f"/workitems/{mine['id']}", None, bpm)[0] == 404
    assert http("PATCH", base + f"/workitems/{mine['id']}", {"action": "cancel"}, bpm)[0] == 404
    status, page = http("GET", base + f"/workitems?queue={mine['queueId']}", None, bpm)
    assert (status, page["items"]) == (200, [])
    status, again = http("POST", base + "/workitems", {**body, "name": "squatter"}, bpm)  # same source id
    assert status == 201
    assert again["id"] != mine["id"]
    assert http("GET", base + f"/workitems/{mine['id']}", None, crm)[1]["name"] == "Address change"


def test_a_forged_closed_event_leaves_the_workitem_open(local_stack: dict[str, str]) -> None:
    base = local_stack["API"]
    crm = token(base, "source-crm")
    body = {
        "sourceId": "FORGED-1",
        "worktype": "address-change",
        "name": "Address change",
        "sla": {"durationSeconds": 3600},
    }
    status, mine = http("POST", base + "/workitems", body, crm)
    assert status == 201, mine
    forged = {
        "id": mine["genesysWorkitemId"],
        "statusCategory": "Closed",
        "dateModified": "2099-01-01T00:00:00Z",
        "customFields": {"refund_amount_text": {"dataType": "text", "value": "1000000"}},
    }
    status, answer = http("POST", base + "/genesys/workitems", forged, token(base, "genesys"))
    assert status == 202, answer
    status, view = http("GET", base + f"/workitems/{mine['id']}", None, crm)
    assert (status, view["status"]) == (200, "Open")


def test_an_event_dated_in_the_future_and_ids_that_are_not_genesys_ids_are_400(local_stack: dict[str, str]) -> None:
    base = local_stack["API"]
    genesys = token(base, "genesys")
    acw = json.loads((EVENTS / "acw-a.json").read_text())
    status, answer = http("POST", base + "/genesys/conversations/acw", {**acw, "eventTime": 4_102_444_800_000}, genesys)
    assert (status, [e["field"] for e in answer["errors"]]) == (400, ["eventTime"])
    status, answer = http(
        "POST", base + "/genesys/conversations/acw", {**acw, "conversationId": "tel:+13175550123"}, genesys
    )
    assert (status, [e["field"] for e in answer["errors"]]) == (400, ["conversationId"])
    status, answer = http("POST", base + "/genesys/conversations/acw", {**acw, "mediaType": "voice\u202e"}, genesys)
    assert (status, [e["field"] for e in answer["errors"]]) == (400, ["mediaType"])


def test_the_bot_callback_without_its_token_is_401(local_stack: dict[str, str]) -> None:
    status, answer = http("POST", local_stack["API"] + "/bots/callback", {"deploymentId": "d-1", "status": "COMPLETED"})
    assert status == 401, answer


def test_bad_input_is_a_4xx_naming_the_field(local_stack: dict[str, str]) -> None:
    base = local_stack["API"]
    status, answer = http("POST", base + "/genesys/conversations/acw", {"eventTime": 1}, token(base, "genesys"))
    assert status == 400
    assert [e["field"] for e in answer["errors"]] == ["conversationId"]
