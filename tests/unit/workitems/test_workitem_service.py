"""Capture, lifecycle, events and escalation steps against in-memory fakes of our ports."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from cxbridge.core.errors import InvalidRequest
from cxbridge.workitems.models import StatusChangeRequest, UpdateRequest, WorkitemEvent
from cxbridge.workitems.workitem import (
    CaptureInProgress,
    Phase,
    RejectedByGenesys,
    RetryLater,
    StatusCategory,
    TaskApiRejected,
    TaskApiThrottled,
    TaskApiUnavailable,
    WorkitemClosed,
    WorkitemQuery,
    WorkitemSnapshot,
    outcome_key,
    workitem_id,
)
from tests.unit.workitems.conftest import ID_KEY, OWNER, START, capture

if TYPE_CHECKING:
    from tests.unit.workitems.conftest import World

ID = workitem_id(OWNER, "CASE-0042", ID_KEY)


def event(world: World, **changes: object) -> WorkitemEvent:
    """A ``v2.taskmanagement.workitems.{id}`` body for the captured workitem, as Genesys has it now."""
    record = world.store.rows[ID]
    snapshot = world.tasks.workitems[str(record.genesys_id)]
    body: dict[str, object] = {
        "id": snapshot.genesys_id,
        "statusCategory": snapshot.status_category.value,
        "statusId": snapshot.status_id,
        "queueId": snapshot.queue_id,
        "dateModified": (snapshot.date_modified or START).isoformat(),
        "customFields": {"claim_id_identifier": {"dataType": "string", "value": "CL-42"}},
    }
    return WorkitemEvent.model_validate({**body, **changes})


# ---- capture ------------------------------------------------------------------------------------------


def test_a_capture_creates_one_workitem_and_starts_its_escalation(world: World) -> None:
    record, created = world.service.capture(OWNER, capture())

    assert created is True
    assert (record.phase, record.status_category, record.priority) == (Phase.CREATED, StatusCategory.OPEN, 10)
    assert record.date_due == START + timedelta(hours=1)
    (task,) = [t for name, t in world.tasks.calls if name == "create"]
    assert (task.type_id, task.queue_id, task.skill_ids, task.external_tag) == (
        "type-claim",
        "queue-claims",
        ("skill-claims",),
        "CASE-0042",
    )
    state = world.scheduler.started[f"{ID}-0"]
    assert (state.step, state.next_at) == (0, START + timedelta(minutes=30))
    assert record.execution_arn is not None


def test_a_repeated_capture_answers_the_same_workitem_without_calling_genesys(world: World) -> None:
    first, _ = world.service.capture(OWNER, capture())
    again, created = world.service.capture(OWNER, capture(name="Changed name on retry"))

    assert created is False
    assert again.genesys_id == first.genesys_id
    assert world.creates() == 1
    assert len(world.scheduler.started) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"worktype": "nope"}, "worktype"),
        ({"customFields": {"unknown_text": "x"}}, "customFields.unknown_text"),
        ({"customFields": {"amount_number": "lots"}}, "customFields.amount_number"),
        ({"callbackUrl": "https://evil.example.net/x"}, "callbackUrl"),
        ({"callbackUrl": "http://crm.example.com/x"}, "callbackUrl"),
        ({"sla": {"dueAt": "2020-01-01T00:00:00Z"}}, "sla.dueAt"),
        ({"expiresAt": "2026-11-23T09:30:00Z"}, "expiresAt"),
    ],
)
def test_bad_input_is_rejected_with_the_field_named(world: World, changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        world.service.capture(OWNER, capture(**changes))

    assert field in [e.field for e in caught.value.errors]
    assert world.tasks.calls == []
    assert world.store.rows == {}


def test_a_throttled_create_releases_the_claim_and_the_retry_creates(world: World) -> None:
    world.tasks.failures.append(("create", TaskApiThrottled("too.many.requests.retry.after", 42), False))

    with pytest.raises(RetryLater) as caught:
        world.service.capture(OWNER, capture())
    assert caught.value.retry_after_s == 42
    assert world.store.rows == {}

    record, created = world.service.capture(OWNER, capture())
    assert created and record.phase is Phase.CREATED
    assert len(world.tasks.workitems) == 1


def test_a_create_that_timed_out_after_genesys_acted_is_adopted_not_sent_again(world: World) -> None:
    world.tasks.failures.append(("create", TaskApiUnavailable("timeout", maybe_applied=True), True))

    with pytest.raises(RetryLater):
        world.service.capture(OWNER, capture())
    assert world.store.rows[ID].phase is Phase.CREATING

    record, created = world.service.capture(OWNER, capture())

    assert created and record.phase is Phase.CREATED
    assert world.creates() == 1
    assert len(world.tasks.workitems) == 1
    assert ("find", "CASE-0042") in world.tasks.calls


def test_a_lost_create_is_sent_again_only_after_the_claim_lease(world: World) -> None:
    world.tasks.failures.append(("create", TaskApiUnavailable("timeout", maybe_applied=True), False))
    with pytest.raises(RetryLater):
        world.service.capture(OWNER, capture())

    world.clock.advance(10)
    with pytest.raises(CaptureInProgress) as caught:
        world.service.capture(OWNER, capture())
    assert caught.value.retry_after_s == 50

    world.clock.advance(60)
    record, _ = world.service.capture(OWNER, capture())
    assert record.phase is Phase.CREATED
    assert world.creates() == 2
    assert len(world.tasks.workitems) == 1


def test_genesys_refusing_the_data_is_a_400_and_our_configuration_a_502(world: World) -> None:
    world.tasks.failures.append(("create", TaskApiRejected("bad.request", 400), False))
    with pytest.raises(RejectedByGenesys) as bad_data:
        world.service.capture(OWNER, capture())
    world.tasks.failures.append(("create", TaskApiRejected("missing.permissions", 403), False))
    with pytest.raises(RejectedByGenesys) as bad_config:
        world.service.capture(OWNER, capture())

    assert (bad_data.value.status, bad_config.value.status) == (400, 502)
    assert world.store.rows == {}


def test_a_start_that_failed_is_made_good_by_the_retry(world: World) -> None:
    world.service.capture(OWNER, capture())
    world.store.rows[ID] = replace(world.store.rows[ID], execution_arn=None)
    world.scheduler.started.clear()

    record, created = world.service.capture(OWNER, capture())

    assert not created
    assert record.execution_arn is not None
    assert list(world.scheduler.started) == [f"{ID}-0"]


# ---- lifecycle ----------------------------------------------------------------------------------------


def test_pause_stops_the_escalation_and_resume_continues_with_the_next_step(world: World) -> None:
    world.service.capture(OWNER, capture())
    world.clock.advance(31 * 60)
    world.escalation.run_step(ID, 0, 0)

    paused = world.service.change(OWNER, ID, StatusChangeRequest(action="pause"))
    assert (paused.paused, paused.status_id, paused.generation, paused.execution_arn) == (True, "st-wait", 1, None)
    assert world.scheduler.stopped == [f"arn:aws:states:us-east-1:123456789012:execution:workitem-sla:{ID}-0"]
    assert world.service.change(OWNER, ID, StatusChangeRequest(action="pause")) == paused  # repeat: nothing

    resumed = world.service.change(OWNER, ID, StatusChangeRequest(action="resume"))
    assert (resumed.paused, resumed.status_id, resumed.generation) == (False, "st-open", 2)
    state = world.scheduler.started[f"{ID}-2"]
    assert (state.step, state.next_at) == (1, START + timedelta(minutes=45))


def test_an_sla_update_reschedules_and_a_priority_update_moves_the_base(world: World) -> None:
    world.service.capture(OWNER, capture())

    new_due = START + timedelta(hours=4)
    updated = world.service.change(
        OWNER,
        ID,
        UpdateRequest.model_validate({"action": "update", "sla": {"dueAt": new_due.isoformat()}, "priority": 90}),
    )

    assert (updated.date_due, updated.base_priority, updated.priority, updated.generation) == (new_due, 90, 90, 1)
    assert world.scheduler.started[f"{ID}-1"].next_at == START + timedelta(hours=2)


def test_complete_closes_settles_once_and_refuses_later_changes(world: World) -> None:
    world.service.capture(OWNER, capture())

    done = world.service.change(OWNER, ID, StatusChangeRequest(action="complete"))

    assert done.closed and done.status_id == "st-done"
    assert len(world.scheduler.stopped) == 1
    (job,) = world.callbacks.jobs
    assert job.key == f"{ID}:st-done"
    assert job.payload["status"] == "Closed"
    with pytest.raises(WorkitemClosed):
        world.service.change(OWNER, ID, StatusChangeRequest(action="cancel"))
    world.events.apply(event(world))  # the event of the same close: nothing new to queue
    assert len(world.callbacks.jobs) == 1


def test_the_task_list_needs_a_queue_or_a_status(world: World) -> None:
    world.service.capture(OWNER, capture())

    with pytest.raises(InvalidRequest) as caught:
        world.service.page(WorkitemQuery(OWNER))
    rows, _ = world.service.page(WorkitemQuery(OWNER, queue_id="queue-claims"))

    assert {e.field for e in caught.value.errors} == {"queue", "status"}
    assert [r.workitem_id for r in rows] == [ID]


# ---- events -------------------------------------------------------------------------------------------


def test_an_older_event_never_overwrites_a_newer_one(world: World) -> None:
    world.service.capture(OWNER, capture())
    newer = event(world, assigneeId="agent-7", statusCategory="InProgress", dateModified="2026-11-23T09:10:00Z")
    older = event(world, assigneeId="agent-1", statusCategory="Open", dateModified="2026-11-23T09:05:00Z")

    assert world.events.apply(newer) == (ID, "applied")
    assert world.events.apply(older) == (ID, "stale")
    assert world.events.apply(newer) == (ID, "stale")
    row = world.store.rows[ID]
    assert (row.assignee_id, row.status_category) == ("agent-7", StatusCategory.IN_PROGRESS)


def close_in_genesys(world: World, **fields: object) -> None:
    """An agent closes the workitem in Genesys (what the fake Task Management API then answers)."""
    genesys_id = str(world.store.rows[ID].genesys_id)
    snapshot = world.tasks.workitems[genesys_id]
    closed = replace(snapshot, status_category=StatusCategory.CLOSED, status_id="st-done", date_modified=START)
    world.tasks.workitems[genesys_id] = replace(closed, **fields)  # type: ignore[arg-type]


def test_a_closed_event_stops_the_escalation_and_queues_the_outcome_once(world: World) -> None:
    world.service.capture(OWNER, capture())
    close_in_genesys(world, custom_fields={"claim_id_identifier": "CL-42"})
    closed = event(world, statusCategory="Closed", statusId="st-done", dateModified="2026-11-23T09:20:00Z")

    world.events.apply(closed)
    world.events.apply(closed)

    assert len(world.scheduler.stopped) == 2  # stopping a stopped execution is harmless
    (job,) = world.callbacks.jobs
    assert job.payload["customFields"] == {"claim_id_identifier": "CL-42"}
    assert world.store.rows[ID].sync_key == outcome_key(world.store.rows[ID])


def test_a_forged_closed_event_changes_nothing_and_calls_nobody_back(world: World) -> None:
    world.service.capture(OWNER, capture())
    forged = event(world, statusCategory="Closed", statusId="st-done", dateModified="2099-01-01T00:00:00Z")

    world.events.apply(forged)  # Genesys says the workitem is still open

    assert world.scheduler.stopped == []
    assert world.callbacks.jobs == []
    assert world.store.rows[ID].status_category is StatusCategory.OPEN


def test_a_close_syncs_back_what_genesys_holds_not_what_the_event_says(world: World) -> None:
    world.service.capture(OWNER, capture())
    close_in_genesys(world, custom_fields={"claim_id_identifier": "CL-42"})
    forged_fields = {"customFields": {"claim_id_identifier": {"dataType": "string", "value": "CL-999"}}}

    world.events.apply(event(world, statusCategory="Closed", **forged_fields))

    (job,) = world.callbacks.jobs
    assert job.payload["customFields"] == {"claim_id_identifier": "CL-42"}


def test_a_closed_event_for_a_workitem_genesys_does_not_have_is_unconfirmed(world: World) -> None:
    world.service.capture(OWNER, capture())
    genesys_id = str(world.store.rows[ID].genesys_id)
    closed = event(world, statusCategory="Closed")
    del world.tasks.workitems[genesys_id]

    assert world.events.apply(closed) == (ID, "unconfirmed")
    assert world.callbacks.jobs == []


def test_an_event_of_a_workitem_that_is_not_ours_is_ignored(world: World) -> None:
    unknown = WorkitemEvent.model_validate({"id": "somebody-elses", "statusCategory": "Open"})

    assert world.events.apply(unknown) == (None, "unknown")


# ---- escalation steps ---------------------------------------------------------------------------------


def test_each_step_reprioritises_moves_and_notifies_as_configured(world: World) -> None:
    world.service.capture(OWNER, capture())

    world.clock.advance(30 * 60)
    after_warn = world.escalation.run_step(ID, 0, 0)
    world.clock.advance(15 * 60)
    after_overflow = world.escalation.run_step(ID, 0, 1)
    world.clock.advance(15 * 60)
    after_supervisor = world.escalation.run_step(ID, 0, 2)

    assert (after_warn.step, after_warn.next_at, after_warn.done) == (1, START + timedelta(minutes=45), False)
    assert (after_overflow.step, after_overflow.done) == (2, False)
    assert after_supervisor.done
    updates = [c for name, c in world.tasks.calls if name == "update"]
    assert [(u.priority, u.queue_id, u.workbin_id) for u in updates] == [
        (10 + 500, None, None),
        (10 + 500 + 750, "queue-overflow", None),
        (10 + 500 + 1000, None, "bin-supervisors"),
    ]
    (alert,) = world.notifier.alerts
    assert (alert.step, alert.workbin_id) == ("supervisor", "bin-supervisors")
    assert world.store.rows[ID].last_step == 2


def test_a_retried_step_changes_nothing(world: World) -> None:
    world.service.capture(OWNER, capture())
    first = world.escalation.run_step(ID, 0, 0)
    calls = len(world.tasks.calls)

    again = world.escalation.run_step(ID, 0, 0)

    assert again == first
    assert len(world.tasks.calls) == calls


def test_a_step_of_an_old_generation_or_a_closed_workitem_ends_the_execution(world: World) -> None:
    world.service.capture(OWNER, capture())
    world.service.change(OWNER, ID, StatusChangeRequest(action="pause"))
    world.service.change(OWNER, ID, StatusChangeRequest(action="resume"))

    assert world.escalation.run_step(ID, 0, 0).done
    assert not world.escalation.run_step(ID, 2, 0).done


def test_a_workitem_closed_in_genesys_without_an_event_is_settled_by_the_step(world: World) -> None:
    world.service.capture(OWNER, capture())
    genesys_id = str(world.store.rows[ID].genesys_id)
    world.tasks.workitems[genesys_id] = WorkitemSnapshot(genesys_id, StatusCategory.CLOSED, status_id="st-done")

    state = world.escalation.run_step(ID, 0, 0)

    assert state.done
    assert world.store.rows[ID].closed
    assert [j.key for j in world.callbacks.jobs] == [f"{ID}:st-done"]
    assert not [c for name, c in world.tasks.calls if name == "update"]


def test_a_step_genesys_refuses_is_skipped_and_the_ladder_goes_on(world: World) -> None:
    world.service.capture(OWNER, capture())
    world.tasks.failures.append(("update", TaskApiRejected("bad.request", 400), False))

    state = world.escalation.run_step(ID, 0, 0)

    assert (state.step, state.done) == (1, False)
    assert world.store.rows[ID].last_step == 0
