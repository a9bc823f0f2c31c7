"""POST /bots/callback: the Automation Anywhere Control Room reports a bot run's result."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from cxbridge.calls.settings import ingest_settings
from cxbridge.core import apigw
from cxbridge.core.errors import InvalidRequest, RequestRejected, TransientFailure, VersionConflict
from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.crm import callback_token, wiring
from cxbridge.crm.bot_callback import UnknownDeployment
from cxbridge.crm.callback_models import BotRunResult


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    token = apigw.header(event, callback_token.HEADER)
    if not token:  # what API Gateway would answer for a missing credential
        return apigw.response(401, {"error": "unauthorized", "message": f"{callback_token.HEADER} is required"})
    try:
        body = apigw.json_body(event, ingest_settings().max_body_bytes)
        try:
            result = BotRunResult.model_validate(body)
        except ValidationError as exc:
            raise InvalidRequest("invalid bot callback", apigw.field_errors(exc)) from None
        done = wiring.bot_callback_service().settle_callback(result.run_id, result.status, token, result.result)
    except RequestRejected as exc:
        return apigw.rejection(exc)
    except UnknownDeployment:
        return apigw.response(404, {"error": "unknown_deployment", "message": "no such deployment"})
    except (TransientFailure, VersionConflict):
        return apigw.response(503, {"error": "unavailable", "message": "try again"}, {"Retry-After": "5"})
    metrics.add_metric(name=f"BotRuns{done.title()}", unit=MetricUnit.Count, value=1)
    logger.info("bot run settled", extra={"deploymentId": result.run_id, "outcome": done})
    return apigw.response(200, {"status": done, "deploymentId": result.run_id})
