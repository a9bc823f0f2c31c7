"""Schedule → the reconciler: stranded call records settled from the Control Room or re-queued once, and
calls synced without their contact link reopened for it (issue 18).

Failures raise, so the asynchronous invocation is retried and then lands in the dead-letter queue; the
next scheduled pass finds the same records again.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.crm import wiring


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    report = wiring.reconciler().run()
    metrics.add_metric(name="StrandedRecords", unit=MetricUnit.Count, value=report.stranded)
    metrics.add_metric(name="Reconciled", unit=MetricUnit.Count, value=report.reconciled)
    metrics.add_metric(name="ContactRelinksQueued", unit=MetricUnit.Count, value=report.relinked)
    summary = {
        "stranded": report.stranded,
        "settled": report.settled,
        "requeued": report.requeued,
        "relinked": report.relinked,
    }
    logger.info("reconciled", extra=summary)
    return summary
