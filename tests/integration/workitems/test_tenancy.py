"""Tenancy: a source system sees, changes and is called back for its own workitems only (issue 13)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.workitems import WorkitemStack, rest_event
from tests.integration.workitems.conftest import DOCUMENT, capture_body

if TYPE_CHECKING:
    from tests.unit.adapters.support import CallbackReceiver

CRM, BPM = "source-crm", "source-bpm"


def capture(stack: WorkitemStack, caller: str, **changes: Any) -> tuple[int, dict[str, Any]]:
    body = capture_body(sla={"durationSeconds": 3600}, **changes)
    status, answer = stack.api("POST", "/workitems", body, caller=caller)
    return status, dict(answer)


def test_another_owners_workitem_is_not_found_for_read_change_or_list(stack: WorkitemStack) -> None:
    status, mine = capture(stack, CRM)
    assert status == 201
    assert mine["owner"] == CRM

    assert stack.api("GET", f"/workitems/{mine['id']}", caller=BPM)[0] == 404
    cancel = {"action": "cancel"}
    assert stack.api("PATCH", f"/workitems/{mine['id']}", cancel, caller=BPM)[0] == 404
    status, page = stack.api("GET", "/workitems", query={"queue": "queue-a"}, caller=BPM)
    assert (status, page["items"]) == (200, [])

    assert stack.api("GET", f"/workitems/{mine['id']}", caller=CRM)[0] == 200
    status, page = stack.api("GET", "/workitems", query={"queue": "queue-a"}, caller=CRM)
    assert [item["id"] for item in page["items"]] == [mine["id"]]
    assert stack.row(mine["id"])["statusCategory"] != "Closed"


def test_the_same_source_id_under_two_owners_is_two_workitems_and_neither_takes_the_other(
    stack: WorkitemStack,
) -> None:
    first_status, crm = capture(stack, CRM, name="CRM's case")
    second_status, bpm = capture(stack, BPM, name="BPM's case")

    assert (first_status, second_status) == (201, 201)
    assert crm["id"] != bpm["id"]
    assert (crm["owner"], crm["name"]) == (CRM, "CRM's case")
    assert (bpm["owner"], bpm["name"]) == (BPM, "BPM's case")
    assert stack.genesys.requests("workitem_create") == 2


def test_ids_are_not_the_old_derivable_uuid5(stack: WorkitemStack) -> None:
    import uuid

    _, mine = capture(stack, CRM)
    published = uuid.UUID("1b5cf3d4-5b1e-4f55-9a55-2f8f3c3b6a01")  # the namespace the code used to publish
    assert mine["id"] != str(uuid.uuid5(published, f"{CRM}\x1fCASE-0042"))
    assert mine["id"] != str(uuid.uuid5(published, "crm\x1fCASE-0042"))


def test_a_body_that_names_an_owner_is_refused(stack: WorkitemStack) -> None:
    status, body = stack.api("POST", "/workitems", {**capture_body(), "sourceSystem": BPM}, caller=CRM)

    assert status == 400
    assert "sourceSystem" in {e["field"] for e in body["errors"]}


def test_a_request_without_a_caller_identity_is_refused(stack: WorkitemStack) -> None:
    from local.lambda_context import LocalContext
    from local.workitems import handler

    event = rest_event("GET", "/workitems", None, {"queue": "queue-a"})
    event["requestContext"].pop("authorizer")
    result = handler("WorkitemsApiFunction")(event, LocalContext(function_name="WorkitemsApiFunction"))
    assert result["statusCode"] == 401


ACTIONS = st.lists(
    st.tuples(st.sampled_from([CRM, BPM]), st.sampled_from(["capture", "get", "cancel", "list"]), st.integers(0, 2)),
    min_size=1,
    max_size=8,
)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_no_owner_reads_lists_changes_or_is_called_back_for_anothers_workitem(
    receiver: CallbackReceiver, actions: list[tuple[str, str, int]]
) -> None:
    """Any interleaving of two callers capturing, reading, cancelling and listing: each touches only its own."""
    import os
    import time

    os.environ["TZ"] = "UTC"
    time.tzset()
    receiver.calls.clear()  # the receiver outlives one example
    owned: dict[str, str] = {}  # workitem id -> owner
    cancelled: set[str] = set()  # by their own owner
    with WorkitemStack(DOCUMENT) as stack:
        for caller, action, n in actions:
            mine = sorted(i for i, o in owned.items() if o == caller)
            theirs = sorted(i for i, o in owned.items() if o != caller)
            if action == "capture":
                body = capture_body(receiver, sla={"durationSeconds": 3600}, sourceId=f"CASE-{n}")
                status, answer = stack.api("POST", "/workitems", body, caller=caller)
                assert status in (200, 201)
                assert answer["owner"] == caller
                assert answer["id"] not in theirs
                owned[answer["id"]] = caller
            elif action == "list":
                status, page = stack.api("GET", "/workitems", query={"queue": "queue-a"}, caller=caller)
                assert {item["id"] for item in page["items"]} <= set(mine)
            elif action == "cancel" and mine and n == 0:  # an owner may cancel its own
                if stack.api("PATCH", f"/workitems/{mine[0]}", {"action": "cancel"}, caller=caller)[0] == 200:
                    cancelled.add(mine[0])
            elif theirs:
                target = theirs[n % len(theirs)]
                verb = ("GET", None) if action == "get" else ("PATCH", {"action": "cancel"})
                assert stack.api(verb[0], f"/workitems/{target}", verb[1], caller=caller)[0] == 404
        stack.run_callbacks()
        for _, raw in receiver.calls:  # a callback only ever reports its own owner's workitem
            payload = json.loads(raw)
            assert payload["workitemId"] in cancelled
            assert owned[payload["workitemId"]] == payload["owner"]
        assert {i for i in owned if stack.row(i)["statusCategory"] == "Closed"} <= cancelled
