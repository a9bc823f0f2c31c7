"""POST /bots/callback: the Automation Anywhere Control Room reports a bot run's result."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from cxbridge.calls.settings import ingest_settings
from cxbridge.core import apigw
from cxbridge.core.errors import InvalidRequest, RequestRejected, TransientFailure, VersionConflict
from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.crm import callback_token, wiring
from cxbridge.crm.bot_callback import UnknownDeployment
from cxbridge.crm.work_queue import work_item_ref


class BotRunResult(BaseModel):
    """The Control Room's callback body (a deployment's), or a WLM bot's for its work item (``queueId``
    and ``workItemId``, its ``result`` the bot's reason); only these fields are read."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True, defer_build=True)

    queueId: int | None = Field(default=None, ge=1)
    workItemId: str | None = Field(default=None, min_length=1, max_length=64)
    deploymentId: str | None = Field(default=None, min_length=1, max_length=128, validate_default=True)
    status: str = Field(min_length=1, max_length=64)
    result: str | None = Field(default=None, max_length=1000)

    @field_validator("deploymentId")
    @classmethod
    def _names_a_run(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and (info.data.get("queueId") is None or info.data.get("workItemId") is None):
            raise ValueError("deploymentId, or queueId and workItemId, is required")
        return value

    @property
    def run_id(self) -> str:
        if self.deploymentId is not None:
            return self.deploymentId
        return work_item_ref(str(self.queueId), str(self.workItemId))


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
