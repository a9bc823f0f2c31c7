"""The ingestion entry point shared by the per-event-type functions: event in, 202 (or 4xx) out.

Accepts an API Gateway request whose body is a bare Genesys ``eventBody`` or an EventBridge envelope,
and an EventBridge event delivered by a rule directly. Rejections from an HTTP caller get a 4xx naming
the fields; from EventBridge they raise, so the asynchronous invocation retries and then dead-letters.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from cxbridge.calls import wiring
from cxbridge.calls.event import EventKind
from cxbridge.calls.events import ROUTES, TOPIC_PREFIX
from cxbridge.calls.record import MergeOutcome
from cxbridge.calls.settings import ingest_settings
from cxbridge.core import apigw
from cxbridge.core.errors import FieldError, InvalidRequest, RequestRejected, TransientFailure
from cxbridge.core.observability import logger, metrics

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.typing import LambdaContext

    from cxbridge.calls.event import CallEvent
    from cxbridge.calls.events import Route


class RejectedEvent(Exception):
    """An EventBridge event we cannot process; raised so Lambda retries it and then dead-letters it."""


def _check_topic(topic: str, route: Route) -> None:
    if not route.topic_suffixes:
        return
    if not (topic.startswith(TOPIC_PREFIX) and topic.endswith(route.topic_suffixes)):
        wanted = " or ".join(f"{TOPIC_PREFIX}{{id}}{s}" for s in route.topic_suffixes)
        raise InvalidRequest(
            "event topic does not match this endpoint",
            [FieldError("detail.topicName", f"expected a topic of the form {wanted}")],
        )


def parse_call_event(body: dict[str, Any], kind: EventKind, not_after_ms: int | None = None) -> CallEvent:
    """Validate a bare ``eventBody`` or an EventBridge envelope against the route of ``kind``; an event
    dated after ``not_after_ms`` (now plus the allowed clock skew) is refused: a record pinned by a date in
    the future would take no genuine correction again."""
    route = ROUTES[kind]
    payload, prefix = body, ""
    if isinstance(body.get("detail"), dict):
        # Only EventBridge deliveries carry the envelope; an API Gateway request never builds its model.
        from cxbridge.genesys.envelope import EventBridgeEnvelope  # noqa: PLC0415

        try:
            envelope = EventBridgeEnvelope.model_validate(body)
        except ValidationError as exc:
            raise InvalidRequest("invalid EventBridge envelope", apigw.field_errors(exc)) from None
        _check_topic(envelope.detail.topicName, route)
        payload, prefix = envelope.detail.eventBody, "detail.eventBody"
    try:
        event = route.model.model_validate(payload).to_call_event()
    except ValidationError as exc:
        raise InvalidRequest(f"invalid {kind} event", apigw.field_errors(exc, prefix)) from None
    if not_after_ms is not None and event.event_time > not_after_ms:
        name = "timestamp" if kind is EventKind.CALL_COMPLETED else "eventTime"
        field = f"{prefix}.{name}" if prefix else name
        raise InvalidRequest(f"invalid {kind} event", [FieldError(field, "is in the future")])
    return event


_OUTCOME_METRICS = {
    MergeOutcome.APPLIED: "EventsApplied",
    MergeOutcome.DUPLICATE: "DuplicatesSuppressed",
    MergeOutcome.STALE: "StaleEventsIgnored",
}


def _ingest(body: dict[str, Any], kind: EventKind) -> dict[str, Any]:
    not_after_ms = int((time.time() + ingest_settings().max_future_skew_s) * 1000)
    event = parse_call_event(body, kind, not_after_ms)
    logger.set_correlation_id(event.conversation_id)
    logger.append_keys(conversationId=event.conversation_id, eventType=str(kind))
    outcome = wiring.ingest_service().ingest(event)
    metrics.add_metric(name=_OUTCOME_METRICS[outcome], unit=MetricUnit.Count, value=1)
    logger.info("event ingested", extra={"outcome": str(outcome)})
    return {"status": "accepted", "conversationId": event.conversation_id, "outcome": str(outcome)}


def _reject(exc: RequestRejected) -> None:
    metrics.add_metric(name="RequestsRejected", unit=MetricUnit.Count, value=1)
    logger.warning(
        "request rejected",
        extra={"status": exc.status, "reason": exc.reason, "fields": [e.field for e in exc.errors]},
    )


def handle_http(event: dict[str, Any], kind: EventKind) -> dict[str, Any]:
    """An API Gateway request: 202 on accept, 4xx naming the fields, 503 when a retry can succeed."""
    try:
        body = apigw.json_body(event, ingest_settings().max_body_bytes)
        return apigw.response(202, _ingest(body, kind))
    except RequestRejected as exc:
        _reject(exc)
        return apigw.rejection(exc)
    except TransientFailure as exc:
        logger.warning("transient failure, caller should retry", extra={"reason": str(exc)})
        return apigw.response(503, {"error": "unavailable", "message": "try again"}, {"Retry-After": "1"})
    except Exception:  # noqa: BLE001 - a bug must still answer JSON and log masked, never echo the input
        logger.exception("unexpected error")
        return apigw.response(500, {"error": "internal", "message": "unexpected error; the event was not stored"})


def handle_eventbridge(event: dict[str, Any], kind: EventKind) -> dict[str, Any]:
    """A rule-delivered EventBridge event; failures raise so Lambda retries, then dead-letters."""
    try:
        return _ingest(event, kind)
    except RequestRejected as exc:
        _reject(exc)
        raise RejectedEvent(f"{exc.reason}: {', '.join(e.field for e in exc.errors)}") from None


def ingest_handler(kind: EventKind) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    """The Lambda handler of the function that ingests ``kind`` events."""

    @logger.inject_lambda_context(clear_state=True)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        metrics.add_dimension(name="eventType", value=str(kind))
        metrics.add_metric(name="EventsReceived", unit=MetricUnit.Count, value=1)
        if apigw.is_api_gateway_event(event):
            return handle_http(event, kind)
        return handle_eventbridge(event, kind)

    return lambda_handler
