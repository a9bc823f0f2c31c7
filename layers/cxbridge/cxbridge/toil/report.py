"""Toil measurement: the report for a period, and the daily run that stores it and announces new candidates.

The report reads the same totals from either source (our call records or Genesys Analytics), names each
wrap-up code once through the resolver (the same names the CRM shows), and compares with the period of
the same length just before. The daily run compares its candidates with the previous *stored* report of
the same scope and length; without one (the first run) it falls back to the previous period's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from cxbridge.toil.rules import (
    MAX_DAYS,
    Period,
    Scope,
    ToilPolicy,
    ToilReport,
    ToilRow,
    build_report,
    name_tallies,
    new_candidates,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from cxbridge.genesys.ports import DispositionResolver
    from cxbridge.toil.ports import CandidateNotifier, ToilMetrics, ToilReportStore, ToilSource
    from cxbridge.toil.rules import CandidateKey, SourceKey


def utc_today() -> date:
    return datetime.now(UTC).date()


class ToilService:
    """Builds reports from one source. ``resolver`` is called only once a code must be named, so a period
    without coded calls neither reads the Genesys secret nor logs in."""

    def __init__(
        self,
        source: ToilSource,
        resolver: Callable[[], DispositionResolver],
        policy: ToilPolicy,
        source_name: str,
        today: Callable[[], date] = utc_today,
    ) -> None:
        self._source = source
        self._resolver = resolver
        self._policy = policy
        self._source_name = source_name
        self._today = today

    def default_day(self) -> date:
        """Yesterday (UTC): the last whole day."""
        return self._today() - timedelta(days=1)

    def report(self, last_day: date | None = None, days: int = 1, scope: Scope = Scope.ORG) -> ToilReport:
        """The report for ``days`` days ending ``last_day`` (default yesterday), with its trend.

        Raises ``UpstreamFailure`` when Genesys cannot answer now, ``TransientFailure`` when DynamoDB cannot.
        """
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be 1..{MAX_DAYS}")
        period = Period.ending(last_day or self.default_day(), days)
        per_queue = scope is Scope.QUEUE
        current = self._source.tallies(period, per_queue=per_queue)
        previous = self._source.tallies(period.previous(), per_queue=per_queue)
        names = self._code_names([*current, *previous])
        return build_report(
            name_tallies(current, names),
            name_tallies(previous, names),
            period=period,
            scope=scope,
            policy=self._policy,
            source=self._source_name,
        )

    def _code_names(self, keys: Iterable[SourceKey]) -> dict[str, str]:
        codes = {ref.code_id for ref, _ in keys if ref.code_id is not None}
        if not codes:
            return {}
        resolver = self._resolver()
        return {code: resolver.resolve(code) for code in sorted(codes)}


@dataclass(frozen=True, slots=True)
class ToilRun:
    """What a daily run produced: the report and the candidates it announced."""

    report: ToilReport
    new_candidates: tuple[ToilRow, ...]
    compared_with: str  # "stored-report" or "previous-period"


class ToilRunService:
    """The scheduled run: report, store, metrics, and one notice when dispositions become candidates."""

    def __init__(
        self,
        toil: ToilService,
        store: ToilReportStore,
        notifier: CandidateNotifier,
        metrics: ToilMetrics,
        *,
        days: int,
        scope: Scope,
    ) -> None:
        self._toil = toil
        self._store = store
        self._notifier = notifier
        self._metrics = metrics
        self._days = days
        self._scope = scope

    def run(self, last_day: date | None = None) -> ToilRun:
        """Safe to re-run for a day: the report is replaced and compared with the same earlier report.

        The report is stored before the notice is sent, so a failed notice (raised, and retried by
        Lambda) never loses the report; a retry may repeat a notice, never drop one.
        """
        report = self._toil.report(last_day, self._days, self._scope)
        stored = self._store.previous_candidates(report)
        if stored is None:
            known: Iterable[CandidateKey] = (row.key for row in report.rows if row.previous.candidate)
            compared_with = "previous-period"
        else:
            known, compared_with = stored, "stored-report"
        new = new_candidates(report, known)
        self._store.save(report)
        self._metrics.publish(report, new)
        if new:
            self._notifier.notify(report, new)
        return ToilRun(report, new, compared_with)
