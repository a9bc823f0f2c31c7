"""Toil figures as CloudWatch metrics (embedded metric format through Powertools).

Each candidate gets its own metric set with the disposition (and queue) as dimensions, so a dashboard
can chart a candidate's share and AHT over days and an alarm can watch it. Candidates are few (each is
over 15 % of the volume), so the dimension's cardinality stays small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from cxbridge.core.observability import METRICS_NAMESPACE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aws_lambda_powertools import Metrics

    from cxbridge.toil.rules import ToilReport, ToilRow


class CloudWatchToilMetrics:
    """``ToilMetrics``: counts on the function's ``Metrics``, one flushed set per candidate."""

    def __init__(self, metrics: Metrics, namespace: str = METRICS_NAMESPACE) -> None:
        self._metrics = metrics
        self._namespace = namespace

    def publish(self, report: ToilReport, new: Sequence[ToilRow]) -> None:
        self._metrics.add_metric(name="ToilCalls", unit=MetricUnit.Count, value=report.total_calls)
        self._metrics.add_metric(name="ToilCandidates", unit=MetricUnit.Count, value=len(report.candidates))
        self._metrics.add_metric(name="ToilNewCandidates", unit=MetricUnit.Count, value=len(new))
        for row in report.candidates:
            candidate = EphemeralMetrics(namespace=self._namespace)
            candidate.add_dimension(name="scope", value=str(report.scope))
            candidate.add_dimension(name="disposition", value=row.disposition)
            if row.queue_id:
                candidate.add_dimension(name="queueId", value=row.queue_id)
            candidate.add_metric(name="ToilCandidateSharePct", unit=MetricUnit.Percent, value=row.current.share * 100)
            candidate.add_metric(
                name="ToilCandidateAhtSeconds", unit=MetricUnit.Seconds, value=row.current.aht_s or 0.0
            )
            candidate.add_metric(
                name="ToilCandidateHoursSavedPerMonth", unit=MetricUnit.Count, value=row.hours_saved_per_month
            )
            candidate.flush_metrics()
