"""GET /toil/report?date=&days=&scope=&format=: the toil report for a period, computed now from the configured source,
as JSON or (``format=html`` or ``Accept: text/html``) as the page with its chart."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cxbridge.core import apigw
from cxbridge.core.errors import RequestRejected, TransientFailure
from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.core.upstream import UpstreamFailure
from cxbridge.toil import wiring
from cxbridge.toil.models import ReportQuery
from cxbridge.toil.page import render_html


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # names and free text stay out of traces
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    metrics.add_metric(name="ToilReportRequests", unit=MetricUnit.Count, value=1)
    try:
        query = ReportQuery.from_event(event)
        report = wiring.toil_service().report(query.date, query.days, query.scope)
    except RequestRejected as exc:
        return apigw.rejection(exc)
    except (TransientFailure, UpstreamFailure) as exc:
        logger.warning("toil report unavailable", extra={"reason": str(exc)})
        return apigw.response(503, {"error": "unavailable", "message": "try again"}, {"Retry-After": "30"})
    except Exception:  # noqa: BLE001 - a bug must still answer JSON, never echo the request
        logger.exception("unexpected error")
        return apigw.response(500, {"error": "internal", "message": "unexpected error"})
    logger.info("toil report", extra={"calls": report.total_calls, "candidates": len(report.candidates)})
    if query.html(event):
        return apigw.html_response(200, render_html(report))
    return apigw.response(200, report.as_dict())
