"""The pydantic models accept what a real Genesys org sends and name the field when something is missing."""

from __future__ import annotations

from typing import Any

import pytest

from cxbridge.calls.event import EventKind
from cxbridge.calls.ingest_api import parse_call_event
from cxbridge.core.errors import InvalidRequest
from tests.builders import all_bodies, body, eventbody, function_of

KIND_OF_FUNCTION = {
    "ingest_acw": EventKind.ACW,
    "ingest_customer_end": EventKind.CUSTOMER_END,
    "ingest_user_end": EventKind.USER_END,
    "ingest_call_completed": EventKind.CALL_COMPLETED,
}


@pytest.mark.parametrize("stem", sorted(all_bodies()))
def test_every_sample_body_parses(stem: str) -> None:
    event = parse_call_event(body(stem), KIND_OF_FUNCTION[function_of(stem)])
    assert event.conversation_id
    assert event.event_time > 0


def test_acw_keeps_wrapup_code_id_and_durations() -> None:
    event = parse_call_event(body("acw-a"), EventKind.ACW)
    assert event.wrapup_code_id == "ad1b7e3c-6a2f-4d5e-9b8c-0f1e2d3c4b5a"
    assert event.acw_ms == 90500
    assert event.user_id == "2f1e0d9c-8b7a-4654-b3c2-d1e0f9a8b7c6"
    assert event.participant_id == "bb22cc33-dd44-4e55-9f66-007788990011"


def test_user_end_reads_interacting_and_held_durations() -> None:
    event = parse_call_event(body("user-end-a"), EventKind.USER_END)
    assert (event.talk_ms, event.held_ms) == (251000, 45000)


def test_envelope_and_bare_body_give_the_same_event() -> None:
    assert parse_call_event(body("acw-b2"), EventKind.ACW) == parse_call_event(eventbody("acw-b2"), EventKind.ACW)


def test_unknown_fields_are_ignored() -> None:
    data = {**body("acw-a"), "someFieldGenesysAddsNextYear": {"x": 1}, "divisionId": "d"}
    assert parse_call_event(data, EventKind.ACW).conversation_id == body("acw-a")["conversationId"]


def test_seed_call_completed_payload_uses_seconds_and_a_disposition_name() -> None:
    event = parse_call_event(body("call-completed"), EventKind.CALL_COMPLETED)
    assert event.conversation_id == "conv_abcde"
    assert event.event_time == 1715623400 * 1000
    assert event.duration_ms == 180_000
    assert event.disposition_name == "Sale_Closed"


def test_call_completed_without_conversation_id_is_keyed_by_call_id() -> None:
    data = {k: v for k, v in body("call-completed").items() if k != "conversationId"}
    assert parse_call_event(data, EventKind.CALL_COMPLETED).conversation_id == data["callId"]


def _fields(exc: pytest.ExceptionInfo[InvalidRequest]) -> list[str]:
    return [e.field for e in exc.value.errors]


@pytest.mark.parametrize("missing", ["conversationId", "eventTime"])
def test_missing_required_field_is_named(missing: str) -> None:
    data = {k: v for k, v in body("user-end-a").items() if k != missing}
    with pytest.raises(InvalidRequest) as exc:
        parse_call_event(data, EventKind.USER_END)
    assert _fields(exc) == [missing]


def test_missing_field_inside_envelope_is_named_with_its_path() -> None:
    data: dict[str, Any] = body("acw-b1")
    del data["detail"]["eventBody"]["eventTime"]
    with pytest.raises(InvalidRequest) as exc:
        parse_call_event(data, EventKind.ACW)
    assert _fields(exc) == ["detail.eventBody.eventTime"]


def test_wrong_type_is_named_and_the_value_not_echoed() -> None:
    data = {**body("acw-a"), "wrapupDurationMs": "+1 317 555 0142"}
    with pytest.raises(InvalidRequest) as exc:
        parse_call_event(data, EventKind.ACW)
    assert _fields(exc) == ["wrapupDurationMs"]
    assert "555" not in repr(exc.value)


def test_envelope_for_another_topic_is_rejected() -> None:
    with pytest.raises(InvalidRequest) as exc:
        parse_call_event(body("user-end-b1"), EventKind.ACW)
    assert _fields(exc) == ["detail.topicName"]


def test_wrapup_topic_is_accepted_on_the_acw_route() -> None:
    data = body("acw-b1")
    data["detail"]["topicName"] = data["detail"]["topicName"].replace(".acw", ".wrapup")
    assert parse_call_event(data, EventKind.ACW).wrapup_code_id is not None


def test_contact_data_is_not_in_the_parsed_event_or_its_repr() -> None:
    from cxbridge.calls.events import AfterCallWorkEvent

    model = AfterCallWorkEvent.model_validate(body("acw-a"))
    assert "555" not in repr(model)
    assert "jane" not in repr(model).lower()
    assert "555" not in repr(model.to_call_event())


def test_an_event_time_past_year_9999_is_a_400_not_a_crash() -> None:
    with pytest.raises(InvalidRequest) as exc:
        parse_call_event({**body("acw-a"), "eventTime": 4_529_698_476_007_542}, EventKind.ACW)
    assert _fields(exc) == ["eventTime"]


# ---- what may travel on (issue 13) --------------------------------------------------------------------

NOW_MS = 1_763_900_000_000  # 2025-11-23T12:13:20Z


def rejected_fields(payload: dict[str, Any], kind: EventKind, not_after_ms: int | None = None) -> list[str]:
    with pytest.raises(InvalidRequest) as caught:
        parse_call_event(payload, kind, not_after_ms)
    return [e.field for e in caught.value.errors]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("conversationId", "tel:+13175550123"),
        ("conversationId", "6c7a3f4e-2b1d-4c8e-9f10-1a2b3c4d5e01\x00"),
        ("participantId", "not-a-uuid"),
        ("userId", "agent_12345"),
        ("queueId", "queue\u202eevil"),
        ("wrapupCode", "Sale_Closed"),
    ],
)
def test_genesys_ids_must_be_uuids(field: str, value: str) -> None:
    assert rejected_fields({**body("acw-a"), field: value}, EventKind.ACW) == [field]


def test_a_system_wrapup_code_is_an_id_too() -> None:
    event = parse_call_event({**body("acw-a"), "wrapupCode": "ININ-WRAP-UP-TIMEOUT"}, EventKind.ACW)
    assert event.wrapup_code_id == "ININ-WRAP-UP-TIMEOUT"


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\x00", "\x1b", "\u2028"])
def test_text_that_can_reach_the_crm_refuses_control_and_bidi_characters(char: str) -> None:
    assert rejected_fields({**body("acw-a"), "mediaType": f"voice{char}"}, EventKind.ACW) == ["mediaType"]
    completed = body("call-completed")
    payload = {**completed, "data": {**completed["data"], "disposition": f"Sale{char}Closed"}}
    assert rejected_fields(payload, EventKind.CALL_COMPLETED) == ["data.disposition"]


def test_the_seed_webhooks_ids_are_plain_identifiers() -> None:
    assert parse_call_event(body("call-completed"), EventKind.CALL_COMPLETED).conversation_id == "conv_abcde"
    payload = {**body("call-completed"), "conversationId": "tel:+13175550123"}
    assert rejected_fields(payload, EventKind.CALL_COMPLETED) == ["conversationId"]


def test_an_event_dated_after_now_plus_the_skew_is_refused_naming_the_field() -> None:
    acw = {**body("acw-a"), "eventTime": NOW_MS + 1}
    assert rejected_fields(acw, EventKind.ACW, NOW_MS) == ["eventTime"]
    assert parse_call_event({**acw, "eventTime": NOW_MS}, EventKind.ACW, NOW_MS).event_time == NOW_MS
    envelope = body("acw-b1")
    envelope["detail"]["eventBody"]["eventTime"] = NOW_MS + 1
    assert rejected_fields(envelope, EventKind.ACW, NOW_MS) == ["detail.eventBody.eventTime"]
    completed = {**body("call-completed"), "timestamp": 4_102_444_800}  # 2100, in epoch seconds
    assert rejected_fields(completed, EventKind.CALL_COMPLETED, NOW_MS) == ["timestamp"]
