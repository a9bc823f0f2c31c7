"""``POST /genesys/workitems``: Genesys workitem topic events, bare ``eventBody`` or EventBridge envelope.

As on the conversation routes: 202 on accept (also for a workitem that is not ours, which a retry
cannot change), 4xx naming the fields, 503 with ``Retry-After`` when storage fails. An event delivered
by an EventBridge rule raises instead of answering 4xx, so the asynchronous invocation retries and then
dead-letters.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from cxbridge.core import apigw
from cxbridge.core.errors import FieldError, InvalidRequest, RequestRejected, TransientFailure
from cxbridge.core.observability import logger, metrics
from cxbridge.genesys.envelope import EventBridgeEnvelope
from cxbridge.workitems import wiring
from cxbridge.workitems.models import WORKITEM_TOPIC_PREFIX, WorkitemEvent
from cxbridge.workitems.settings import workitem_settings

MAX_BODY_BYTES = 262_144  # EventBridge's event limit; a workitem event is far smaller


class RejectedEvent(Exception):
    """An EventBridge event we cannot process; raised so Lambda retries it and then dead-letters it."""


def parse_workitem_event(body: dict[str, Any]) -> WorkitemEvent:
    """Validate a bare ``eventBody`` or an EventBridge envelope of a ``v2.taskmanagement.workitems.*`` topic."""
    payload, prefix = body, ""
    if isinstance(body.get("detail"), dict):
        try:
            envelope = EventBridgeEnvelope.model_validate(body)
        except ValidationError as exc:
            raise InvalidRequest("invalid EventBridge envelope", apigw.field_errors(exc)) from None
        if not envelope.detail.topicName.startswith(WORKITEM_TOPIC_PREFIX):
            wanted = f"expected a topic of the form {WORKITEM_TOPIC_PREFIX}{{id}}"
            raise InvalidRequest("event topic does not match this endpoint", [FieldError("detail.topicName", wanted)])
        payload, prefix = envelope.detail.eventBody, "detail.eventBody"
    try:
        return WorkitemEvent.model_validate(payload)
    except ValidationError as exc:
        raise InvalidRequest("invalid workitem event", apigw.field_errors(exc, prefix)) from None


def _apply(body: dict[str, Any]) -> dict[str, Any]:
    event = parse_workitem_event(body)
    logger.append_keys(genesysWorkitemId=event.id, statusCategory=event.statusCategory.value)
    workitem_settings()  # fail on a missing variable before any work
    workitem, outcome = wiring.workitem_event_service().apply(event)
    if workitem:
        logger.set_correlation_id(workitem)
    metrics.add_metric(name=f"WorkitemEvents{outcome.capitalize()}", unit=MetricUnit.Count, value=1)
    logger.info("workitem event", extra={"outcome": outcome})
    return {"status": "accepted", "workitemId": workitem, "outcome": outcome}


def handle(event: dict[str, Any]) -> dict[str, Any]:
    """The answer for an API Gateway request, or the result for a rule-delivered event."""
    if not apigw.is_api_gateway_event(event):
        try:
            return _apply(event)
        except RequestRejected as exc:
            raise RejectedEvent(f"{exc.reason}: {', '.join(e.field for e in exc.errors)}") from None
    try:
        return apigw.response(202, _apply(apigw.json_body(event, MAX_BODY_BYTES)))
    except RequestRejected as exc:
        logger.warning("request rejected", extra={"status": exc.status, "fields": [e.field for e in exc.errors]})
        return apigw.rejection(exc)
    except TransientFailure as exc:
        logger.warning("transient failure, caller should retry", extra={"reason": str(exc)})
        return apigw.response(503, {"error": "unavailable", "message": "try again"}, {"Retry-After": "1"})
    except Exception:  # noqa: BLE001 - a bug must still answer JSON and log masked, never echo the input
        logger.exception("unexpected error")
        return apigw.response(500, {"error": "internal", "message": "unexpected error; the event was not applied"})
