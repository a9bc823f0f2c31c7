"""Schedule (daily) → the toil report for yesterday: stored, candidates as metrics, new ones announced on SNS.

Failures raise, so the asynchronous invocation is retried and then lands in the dead-letter queue.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.toil import wiring
from cxbridge.toil.models import ScheduledRun


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # names and free text stay out of traces
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    run = wiring.toil_run_service().run(ScheduledRun.model_validate(event).report_day())
    summary = {
        "reportDate": run.report.period.last.isoformat(),
        "totalCalls": run.report.total_calls,
        "candidates": [r.disposition for r in run.report.candidates],
        "newCandidates": [r.disposition for r in run.new_candidates],
        "comparedWith": run.compared_with,
    }
    logger.info("toil report stored", extra=summary)
    return summary
