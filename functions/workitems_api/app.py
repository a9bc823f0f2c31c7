"""``POST|GET|PATCH /workitems``: the capture point for source systems (routes in ``cxbridge.workitems.api``;
the whole API's document is generated from them by ``make openapi`` and served by the api-docs function)."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from cxbridge.core import rest
from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.workitems.api import app


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # names and free text stay out of traces
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return rest.refuse_non_json(event) or app.resolve(event, context)
