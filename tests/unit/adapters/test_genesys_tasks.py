"""GenesysTaskClient against the Task Management fake over HTTP, and its bodies against the SDK's models.

The field lists of ``WorkitemCreate``, ``WorkitemUpdate`` and ``Workitem`` are parsed from the SDK model
reference (``/work/shared/reference/genesys-sdk-models.txt``, or ``$GENESYS_SDK_MODELS``), so a body
field that the SDK does not know, or a value of the wrong type, fails here.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cxbridge.core.oauth import TokenCache
from cxbridge.genesys.oauth import GenesysTokenSource
from cxbridge.workitems.genesys_tasks import GenesysTaskClient, create_body, query_body, update_body
from cxbridge.workitems.workitem import (
    NewTask,
    StatusCategory,
    TaskApiRejected,
    TaskApiThrottled,
    TaskApiUnavailable,
    TaskChanges,
    TaskNotFound,
)
from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET
from local.sandboxes.genesys import GenesysSandbox
from tests.unit.adapters.support import SHORT_TIMEOUT_S

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

MODELS = Path(os.environ.get("GENESYS_SDK_MODELS", "/work/shared/reference/genesys-sdk-models.txt"))
STATUSES = {"st-open": "Open", "st-wait": "Waiting", "st-done": "Closed"}
NOW = datetime.now(UTC).replace(microsecond=0)
FULL_TASK = NewTask(
    name="Review claim CL-42",
    type_id="7c1f3e0a-2d4b-4f7e-9a61-3b8c5d2e1f01",
    priority=250,
    date_due=NOW + timedelta(days=1),
    date_expires=NOW + timedelta(days=7),
    external_tag="CASE-0042",
    queue_id="5a2e8c41-9f3d-4b6a-8e17-0c4d2b9a7e11",
    workbin_id="0e9d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c21",
    skill_ids=("3f6a9b2c-1d4e-4a7b-8c5d-2e9f0a1b3c31",),
    description="Check the attached documents",
    custom_fields={"claim_id_identifier": "CL-42", "claim_amount_number": 120.5},
    external_contact_id="d6a1c1a4-0b0e-4d4e-8f2a-6a3c9f1b2e01",
    language_id="e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a51",
    preferred_agent_ids=("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c51",),
)
FULL_CHANGES = TaskChanges(
    name="Review claim CL-42 (urgent)",
    description="Customer called twice",
    priority=1_500,
    date_due=NOW + timedelta(hours=12),
    date_expires=NOW + timedelta(days=3),
    status_id="st-wait",
    queue_id="5a2e8c41-9f3d-4b6a-8e17-0c4d2b9a7e12",
    workbin_id="0e9d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c22",
    custom_fields={"claim_amount_number": 99},
)


def sdk_fields(model: str) -> dict[str, str]:
    """``name → type`` of one model in the SDK model reference."""
    if not MODELS.is_file():
        pytest.skip(f"SDK model reference not found at {MODELS}")
    text = MODELS.read_text()
    block = re.search(rf"^### {model} \(module [^)]+\)\n(?P<body>(?:  .+\n)+)", text, re.MULTILINE)
    assert block is not None, f"{model} not in {MODELS}"
    return dict(line.strip().split(": ", 1) for line in block["body"].splitlines())


def _is_date(value: Any) -> bool:
    return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None


# SDK type → whether a JSON value is one (dates as ISO-8601 strings with a zone).
FITS: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, str) and v != "",
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "datetime": _is_date,
    "list[str]": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "dict(str, object)": lambda v: isinstance(v, dict) and all(isinstance(k, str) for k in v),
}


def fits(sdk_type: str, value: Any) -> bool:
    check = FITS.get(sdk_type)
    return check is not None and check(value)


def assert_body_fits(model: str, body: dict[str, Any]) -> None:
    fields = sdk_fields(model)
    for name, value in body.items():
        assert name in fields, f"{model} has no field {name}"
        assert fits(fields[name], value), f"{model}.{name}: {value!r} is not a {fields[name]}"


@pytest.fixture
def genesys() -> Iterator[GenesysSandbox]:
    with GenesysSandbox(seed=3, task_statuses=STATUSES) as server:
        yield server


class Sleeps:
    """A sleep that records instead of sleeping, and a clock it moves."""

    def __init__(self) -> None:
        self.slept: list[float] = []
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_client(
    server: GenesysSandbox, sleeps: Sleeps, *, budget_s: float = 2.0, timeout_s: float = 5.0
) -> GenesysTaskClient:
    tokens = TokenCache(GenesysTokenSource(server.url, SANDBOX_CLIENT_ID, SANDBOX_SECRET))
    return GenesysTaskClient(
        tokens, server.url, timeout_s=timeout_s, retry_budget_s=budget_s, sleep=sleeps.sleep, clock=sleeps.clock
    )


# ---- bodies against the SDK models --------------------------------------------------------------------


def test_the_create_body_uses_only_workitem_create_fields_with_their_types() -> None:
    body = create_body(FULL_TASK)

    assert_body_fits("WorkitemCreate", body)
    assert {"name", "typeId"} <= set(body)
    assert body["externalTag"] == "CASE-0042"
    assert body["dateDue"].endswith("Z")
    assert set(body) == {
        "name",
        "typeId",
        "priority",
        "dateDue",
        "dateExpires",
        "externalTag",
        "queueId",
        "workbinId",
        "skillIds",
        "description",
        "customFields",
        "externalContactId",
        "languageId",
        "preferredAgentIds",
    }


def test_the_update_body_uses_only_workitem_update_fields_and_only_those_that_change() -> None:
    body = update_body(FULL_CHANGES)

    assert_body_fits("WorkitemUpdate", body)
    assert "typeId" not in body
    assert update_body(TaskChanges(priority=7)) == {"priority": 7}


def test_the_query_asks_with_an_eq_filter_on_the_type_and_the_external_tag() -> None:
    body = query_body("type-1", "CASE-0042")

    assert set(body) <= set(sdk_fields("WorkitemQueryPostRequest"))
    for flt in body["filters"]:
        assert set(flt) == set(sdk_fields("WorkitemFilter"))
    assert len(body["filters"]) <= 3


def test_what_went_over_the_wire_fits_the_models(genesys: GenesysSandbox) -> None:
    client = make_client(genesys, Sleeps())

    created = client.create(FULL_TASK)
    client.update(created.genesys_id, FULL_CHANGES)

    (create, patch) = genesys.tasks.bodies
    assert create[:2] == ("POST", "/api/v2/taskmanagement/workitems")
    assert_body_fits("WorkitemCreate", create[2])
    assert patch[0] == "PATCH"
    assert_body_fits("WorkitemUpdate", patch[2])
    stored = genesys.state()["workitems"][created.genesys_id]
    assert set(stored) - {"dateStatusChanged"} <= set(sdk_fields("Workitem"))


# ---- behaviour ---------------------------------------------------------------------------------------


def test_create_get_update_and_find(genesys: GenesysSandbox) -> None:
    client = make_client(genesys, Sleeps())

    created = client.create(FULL_TASK)
    assert (created.status_category, created.status_id, created.queue_id) == (
        StatusCategory.OPEN,
        "st-open",
        FULL_TASK.queue_id,
    )
    paused = client.update(created.genesys_id, TaskChanges(status_id="st-wait", priority=9))
    assert (paused.status_category, paused.priority) == (StatusCategory.WAITING, 9)
    assert paused.date_modified is not None and created.date_modified is not None
    assert paused.date_modified > created.date_modified
    assert client.get(created.genesys_id) == paused
    found = client.find_by_external_tag(FULL_TASK.type_id, "CASE-0042")
    assert found is not None and found.genesys_id == created.genesys_id
    assert client.find_by_external_tag(FULL_TASK.type_id, "CASE-0043") is None
    assert genesys.requests("token") == 1


def test_a_429_is_waited_out_for_retry_after_then_the_create_goes_through_once(genesys: GenesysSandbox) -> None:
    genesys.configure(task_throttle_next=1, retry_after_s=1)
    sleeps = Sleeps()

    client = make_client(genesys, sleeps).create(FULL_TASK)

    assert sleeps.slept == [1.0]
    assert genesys.requests("workitem_create") == 2
    assert list(genesys.state()["workitems"]) == [client.genesys_id]


def test_a_retry_after_beyond_the_budget_raises_throttled_with_the_wait(genesys: GenesysSandbox) -> None:
    genesys.configure(task_throttle_next=1, retry_after_s=42)
    sleeps = Sleeps()

    with pytest.raises(TaskApiThrottled) as caught:
        make_client(genesys, sleeps).create(FULL_TASK)

    assert (caught.value.retry_after_s, caught.value.reason) == (42.0, "too.many.requests.retry.after")
    assert sleeps.slept == []
    assert genesys.requests("workitem_create") == 1


def test_a_create_that_fails_with_a_5xx_is_never_sent_again(genesys: GenesysSandbox) -> None:
    genesys.configure(fail_ratio=1.0)
    sleeps = Sleeps()

    with pytest.raises(TaskApiUnavailable) as caught:
        make_client(genesys, sleeps).create(FULL_TASK)

    assert caught.value.maybe_applied is True
    assert genesys.requests("workitem_create") == 1
    assert sleeps.slept == []


def test_a_create_that_times_out_is_never_sent_again(genesys: GenesysSandbox) -> None:
    genesys.configure(timeout_ratio=1.0)

    with pytest.raises(TaskApiUnavailable) as caught:
        make_client(genesys, Sleeps(), timeout_s=SHORT_TIMEOUT_S).create(FULL_TASK)

    assert (caught.value.maybe_applied, caught.value.reason) == (True, "timeout")
    assert genesys.requests("workitem_create") == 1


def test_a_500_is_not_retried_but_a_throttled_read_is(genesys: GenesysSandbox) -> None:
    sleeps = Sleeps()
    client = make_client(genesys, sleeps)
    created = client.create(FULL_TASK)
    genesys.configure(fail_ratio=1.0)
    with pytest.raises(TaskApiUnavailable):
        client.update(created.genesys_id, TaskChanges(priority=5))
    assert genesys.requests("workitem_patch") == 1  # Genesys: back off on 429/502/503/504, not on 500

    genesys.configure(fail_ratio=0.0, task_throttle_next=2, retry_after_s=0)
    assert client.get(created.genesys_id).genesys_id == created.genesys_id
    assert genesys.requests("workitem_get") == 3


def test_a_patch_throttled_once_is_sent_again(genesys: GenesysSandbox) -> None:
    client = make_client(genesys, Sleeps())
    created = client.create(FULL_TASK)
    genesys.configure(task_throttle_next=1, retry_after_s=1)

    assert client.update(created.genesys_id, TaskChanges(priority=5)).priority == 5
    assert genesys.requests("workitem_patch") == 2


def test_unknown_workitems_and_refused_bodies_are_our_errors(genesys: GenesysSandbox) -> None:
    client = make_client(genesys, Sleeps())

    with pytest.raises(TaskNotFound):
        client.get("no-such-workitem")
    with pytest.raises(TaskApiRejected) as caught:
        client.create(NewTask(name="ab", type_id="t", priority=0, date_due=NOW, external_tag="x"))
    assert (caught.value.status, caught.value.reason) == (400, "bad.request")


def test_an_expired_token_is_renewed_once(genesys: GenesysSandbox) -> None:
    genesys.configure(expire_tokens_after=1)
    client = make_client(genesys, Sleeps())

    created = client.create(FULL_TASK)
    client.get(created.genesys_id)

    assert genesys.requests("token") == 2


def test_the_fake_refuses_a_query_without_a_key_filter(genesys: GenesysSandbox) -> None:
    import requests

    token = requests.post(
        f"{genesys.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(SANDBOX_CLIENT_ID, SANDBOX_SECRET),
        timeout=5,
    ).json()["access_token"]
    body = {"filters": [{"name": "externalTag", "type": "String", "operator": "EQ", "values": ["x"]}]}
    answer = requests.post(
        f"{genesys.url}/api/v2/taskmanagement/workitems/query",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )

    assert answer.status_code == 400
