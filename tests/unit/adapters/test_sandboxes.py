"""The fakes themselves: knobs over HTTP, state, determinism, the activity list and callbacks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import requests

from cxbridge.core.oauth import TokenCache
from cxbridge.crm.oauth import SalesforceTokenSource
from cxbridge.crm.salesforce import SalesforceMapping, SalesforceSink
from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET
from local.sandboxes.salesforce import SalesforceSandbox
from tests.unit.adapters.support import CallbackReceiver, outcome

if TYPE_CHECKING:
    from local.sandboxes.automation_anywhere import AutomationAnywhereSandbox

MAPPING = SalesforceMapping(object="Call_Log__c", external_id_field="CallReference__c")


def test_knobs_are_set_over_http_and_state_is_served(salesforce: SalesforceSandbox) -> None:
    configured = requests.post(f"{salesforce.url}/__sandbox/config", json={"fail_ratio": 0.25}, timeout=5)
    rejected = requests.post(f"{salesforce.url}/__sandbox/config", json={"no_such_knob": 1}, timeout=5)
    out_of_range = requests.post(f"{salesforce.url}/__sandbox/config", json={"fail_ratio": 2}, timeout=5)
    state = requests.get(f"{salesforce.url}/__sandbox/state", timeout=5)

    assert configured.status_code == 200
    assert configured.json()["fail_ratio"] == 0.25
    assert (rejected.status_code, out_of_range.status_code) == (400, 400)
    assert state.json()["knobs"]["fail_ratio"] == 0.25
    assert state.json()["records"] == {}


def test_the_same_seed_gives_the_same_faults() -> None:
    def statuses(seed: int) -> list[str]:
        with SalesforceSandbox(seed=seed) as server:
            server.configure(throttle_ratio=0.3, fail_ratio=0.3)
            sink = SalesforceSink(
                MAPPING, TokenCache(SalesforceTokenSource(server.url, SANDBOX_CLIENT_ID, SANDBOX_SECRET))
            )
            return [f"{r.status}:{r.reason}" for n in range(12) for r in sink.write([outcome(n)])]

    first = statuses(11)
    assert statuses(11) == first
    assert len(set(first)) > 1


def test_the_crm_sandbox_answers_soql_queries_and_reads_by_external_id(salesforce: SalesforceSandbox) -> None:
    tokens = TokenCache(SalesforceTokenSource(salesforce.url, SANDBOX_CLIENT_ID, SANDBOX_SECRET))
    SalesforceSink(MAPPING, tokens).write([outcome(1), outcome(2)])
    auth = {"Authorization": f"Bearer {tokens.get().value}"}
    api = f"{salesforce.url}/services/data/v62.0"

    def query(soql: str) -> requests.Response:
        return requests.get(f"{api}/query", params={"q": soql}, headers=auth, timeout=5)

    second = outcome(2).conversation_id
    one = query(f"SELECT Id, CallReference__c FROM Call_Log__c WHERE CallReference__c = '{second}'")  # noqa: S608
    everything = query("select Id from Call_Log__c limit 5")
    first = outcome(1).conversation_id
    record = requests.get(f"{api}/sobjects/Call_Log__c/CallReference__c/{first}", headers=auth, timeout=5)
    missing = requests.get(f"{api}/sobjects/Call_Log__c/CallReference__c/nobody", headers=auth, timeout=5)

    assert one.json()["totalSize"] == 1
    (row,) = one.json()["records"]
    assert row["CallReference__c"] == second
    assert row["attributes"] == {"type": "Call_Log__c", "url": f"/services/data/v62.0/sobjects/Call_Log__c/{row['Id']}"}
    assert (everything.json()["totalSize"], everything.json()["done"]) == (2, True)
    assert record.json()["CallReference__c"] == first
    assert (missing.status_code, missing.json()[0]["errorCode"]) == (404, "NOT_FOUND")
    assert query("DELETE FROM Call_Log__c").json()[0]["errorCode"] == "MALFORMED_QUERY"
    assert requests.get(f"{api}/query", params={"q": "SELECT Id FROM Call_Log__c"}, timeout=5).status_code == 401


def _login(server: AutomationAnywhereSandbox) -> dict[str, str]:
    answer = requests.post(
        f"{server.url}/v1/authentication", json={"username": "svc_api", "apiKey": SANDBOX_SECRET}, timeout=5
    )
    return {"X-Authorization": answer.json()["token"]}


def test_the_activity_list_filters_by_deployment(control_room: AutomationAnywhereSandbox) -> None:
    auth = _login(control_room)
    body = {"fileId": 87, "runAsUserIds": [3], "botInput": {"s": {"type": "STRING", "string": "x"}}}
    ids = [
        requests.post(f"{control_room.url}/v3/automations/deploy", json=body, headers=auth, timeout=5).json()[
            "deploymentId"
        ]
        for _ in range(3)
    ]
    one = {"filter": {"operator": "eq", "field": "deploymentId", "value": ids[1]}}
    two = {
        "filter": {
            "operator": "or",
            "operands": [{"operator": "eq", "field": "deploymentId", "value": i} for i in (ids[0], ids[2])],
        }
    }

    first = requests.post(f"{control_room.url}/v3/activity/list", json=one, headers=auth, timeout=5).json()
    second = requests.post(f"{control_room.url}/v3/activity/list", json=two, headers=auth, timeout=5).json()

    assert first["page"] == {"offset": 0, "total": 3, "totalFilter": 1}
    assert [(run["deploymentId"], run["status"]) for run in first["list"]] == [(ids[1], "DEPLOYED")]
    assert [run["deploymentId"] for run in second["list"]] == [ids[0], ids[2]]


def test_a_malformed_bot_input_is_refused(control_room: AutomationAnywhereSandbox) -> None:
    body = {"fileId": 87, "runAsUserIds": [3], "botInput": {"n": {"type": "NUMBER", "string": "1"}}}

    answer = requests.post(
        f"{control_room.url}/v3/automations/deploy", json=body, headers=_login(control_room), timeout=5
    )

    assert answer.status_code == 400
    assert control_room.state()["deployments"] == []


def test_completing_a_run_posts_the_callback_with_its_headers(
    control_room: AutomationAnywhereSandbox, callback_receiver: CallbackReceiver
) -> None:
    body = {
        "fileId": 87,
        "runAsUserIds": [3],
        "callbackInfo": {"url": callback_receiver.url, "headers": {"X-Callback-Secret": "shared-secret"}},
    }
    deployed = requests.post(
        f"{control_room.url}/v3/automations/deploy", json=body, headers=_login(control_room), timeout=5
    ).json()

    over_http = requests.post(
        f"{control_room.url}/__sandbox/complete",
        json={"deploymentId": deployed["deploymentId"], "status": "RUN_FAILED"},
        timeout=5,
    )

    assert over_http.json() == {"callbackStatus": 204}
    ((headers, raw),) = callback_receiver.calls
    assert headers["X-Callback-Secret"] == "shared-secret"
    assert json.loads(raw) == {
        "deploymentId": deployed["deploymentId"],
        "status": "RUN_FAILED",
        "deviceId": "sandbox-device",
        "userId": 3,
        "botOutput": {},
    }
    assert control_room.state()["deployments"][0]["status"] == "RUN_FAILED"
