"""The workitem services wired to in-memory fakes, with a clock the test moves."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cxbridge.workitems.escalation import EscalationService
from cxbridge.workitems.models import CaptureRequest
from cxbridge.workitems.service import Rows, WorkitemCloser, WorkitemEventService, WorkitemService
from cxbridge.workitems.workitem import StatusCategory
from cxbridge.workitems.worktype_catalog import WorktypeCatalog
from tests.fakes.workitems import (
    InMemoryCallbackQueue,
    InMemoryTasks,
    InMemoryWorkitemStore,
    RecordingNotifier,
    RecordingScheduler,
)

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DOCUMENT: dict[str, Any] = {
    "version": 1,
    "worktypes": {
        "claim": {
            "typeId": "type-claim",
            "queueId": "queue-claims",
            "skillIds": ["skill-claims"],
            "defaultPriority": 10,
            "slaSeconds": 3600,
            "statuses": {"open": "st-open", "paused": "st-wait", "completed": "st-done", "cancelled": "st-cancel"},
            "customFields": {"claim_id_identifier": "identifier", "amount_number": "number"},
            "escalation": {
                "priorityRamp": 1000,
                "steps": [
                    {"name": "warn", "atPercent": 50},
                    {"name": "overflow", "atPercent": 75, "queueId": "queue-overflow", "priorityBoost": 500},
                    {"name": "supervisor", "atPercent": 100, "workbinId": "bin-supervisors", "notify": True},
                ],
            },
        }
    },
}
STATUSES = {
    "st-open": StatusCategory.OPEN,
    "st-wait": StatusCategory.WAITING,
    "st-done": StatusCategory.CLOSED,
    "st-cancel": StatusCategory.CLOSED,
}


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def wall(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


OWNER = "source-crm"  # the calling client, as its token names it
ID_KEY = b"k" * 32


@dataclass
class World:
    clock: Clock
    store: InMemoryWorkitemStore = field(default_factory=InMemoryWorkitemStore)
    scheduler: RecordingScheduler = field(default_factory=RecordingScheduler)
    callbacks: InMemoryCallbackQueue = field(default_factory=InMemoryCallbackQueue)
    notifier: RecordingNotifier = field(default_factory=RecordingNotifier)
    tasks: InMemoryTasks = field(init=False)

    def __post_init__(self) -> None:
        self.tasks = InMemoryTasks(statuses=STATUSES, clock=self.clock)
        worktypes = WorktypeCatalog(lambda: json.dumps(DOCUMENT))
        closer = WorkitemCloser(Rows(self.store), self.scheduler, self.callbacks)
        self.service = WorkitemService(
            self.store,
            lambda: self.tasks,
            self.scheduler,
            closer,
            worktypes,
            id_key=lambda: ID_KEY,
            callback_hosts=frozenset({"crm.example.com"}),
            claim_lease_s=60,
            clock=self.clock,
            wall=self.clock.wall,
        )
        self.events = WorkitemEventService(self.store, closer, lambda: self.tasks)
        step_closer = WorkitemCloser(Rows(self.store), None, self.callbacks)
        self.escalation = EscalationService(
            self.store, self.tasks, worktypes, self.notifier, step_closer, clock=self.clock
        )

    def creates(self) -> int:
        return sum(1 for name, _ in self.tasks.calls if name == "create")


@pytest.fixture
def world() -> World:
    return World(Clock())


def capture(**changes: Any) -> CaptureRequest:
    body: dict[str, Any] = {
        "sourceId": "CASE-0042",
        "worktype": "claim",
        "name": "Review claim CASE-0042",
        "customFields": {"claim_id_identifier": "CL-42", "amount_number": 120.5},
        "callbackUrl": "https://crm.example.com/hooks/workitems",
    }
    return CaptureRequest.model_validate({**body, **changes})
