"""The workitem SLA state machine's Lambda task: run one ladder step, answer the next state.

Input ``{"workitemId", "generation", "step"}``; output ``{"workitemId", "generation", "step", "nextAt",
"done"}``. A failure raises (the state machine retries it with backoff); a throttled Genesys raises
``TaskApiThrottled``, which the state machine retries on a longer interval.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.workitems import wiring


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    workitem_id = str(event["workitemId"])
    logger.set_correlation_id(workitem_id)
    state = wiring.escalation_service().run_step(workitem_id, int(event["generation"]), int(event["step"]))
    metrics.add_dimension(name="step", value=str(event["step"]))  # the dashboard's escalations by ladder step
    metrics.add_metric(name="EscalationsEnded" if state.done else "EscalationStepsRun", unit=MetricUnit.Count, value=1)
    return state.as_input()
