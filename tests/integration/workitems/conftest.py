"""The workitem functions in-process on moto (Step Functions executing the ASL), Genesys as the sandbox."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

import pytest

from local.workitems import WorkitemStack
from tests.unit.adapters.support import CallbackReceiver

if TYPE_CHECKING:
    from collections.abc import Iterator

# Short SLAs, in seconds: the ladder below runs at 50 %, 75 % and 100 % of them.
DOCUMENT: dict[str, Any] = {
    "version": 1,
    "worktypes": {
        "quick": {
            "typeId": "type-quick",
            "queueId": "queue-a",
            "skillIds": ["skill-1"],
            "slaSeconds": 2,
            "statuses": {"open": "st-open", "paused": "st-wait", "completed": "st-done", "cancelled": "st-cancel"},
            "customFields": {"claim_id_identifier": "identifier"},
            "escalation": {
                "priorityRamp": 1000,
                "steps": [
                    {"name": "warn", "atPercent": 50},
                    {"name": "overflow", "atPercent": 75, "queueId": "queue-b", "priorityBoost": 500},
                    {"name": "supervisor", "atPercent": 100, "workbinId": "bin-sup", "notify": True},
                ],
            },
        }
    },
}


@pytest.fixture
def stack() -> Iterator[WorkitemStack]:
    # moto's Wait compares a UTC timestamp with the local wall clock: keep the process on UTC.
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        with WorkitemStack(DOCUMENT) as running:
            yield running
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    server = CallbackReceiver()
    yield server
    server.close()


def capture_body(receiver: CallbackReceiver | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sourceId": "CASE-0042",
        "worktype": "quick",
        "name": "Review claim CASE-0042",
        "customFields": {"claim_id_identifier": "CL-42"},
    }
    if receiver is not None:
        body["callbackUrl"] = receiver.url
    return {**body, **changes}
