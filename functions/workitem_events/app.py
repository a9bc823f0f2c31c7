"""POST /genesys/workitems: Genesys workitem events update the row; a close stops the escalation and
queues the sync-back to the source system."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.workitems.events_api import handle


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event)
