"""POST /assist/lookup: a Genesys flow's data action asks for the caller's CRM record; answered within a deadline.

A slow, throttling or unreachable CRM (or an open breaker) answers 200 ``{"status": "fallback"}``, so the
flow takes its fallback path instead of timing out. Neither the lookup value nor the CRM's fields are logged.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from cxbridge.core import apigw
from cxbridge.core.errors import InvalidRequest, RequestRejected
from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.crm import wiring
from cxbridge.crm.assist import AssistLookupAnswer, AssistLookupRequest
from cxbridge.crm.settings import lookup_settings

MAX_BODY_BYTES = 1024


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # the answer holds CRM fields
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        apigw.require_json(event)
        try:
            request = AssistLookupRequest.model_validate(apigw.json_body(event, MAX_BODY_BYTES))
        except ValidationError as exc:
            raise InvalidRequest("invalid lookup", apigw.field_errors(exc)) from None
    except RequestRejected as exc:
        metrics.add_metric(name="AssistLookupRejected", unit=MetricUnit.Count, value=1)
        return apigw.rejection(exc)
    query = request.query()
    result = wiring.lookup_service().lookup(query, lookup_settings().assist_deadline_s)
    metrics.add_metric(
        name=f"AssistLookup{result.status[0].upper()}{result.status[1:]}", unit=MetricUnit.Count, value=1
    )
    logger.info(
        "assist lookup", extra={"kind": query.kind.value, "status": result.status.value, "reason": result.reason}
    )
    return apigw.response(200, AssistLookupAnswer.of(result).model_dump(mode="json"))
