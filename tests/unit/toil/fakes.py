"""In-memory fakes of the toil ports (``cxbridge.calls.ports``), kept next to the tests that use them."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from cxbridge.toil.rules import Tally, accumulate

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import date

    from cxbridge.toil.rules import CandidateKey, Period, SourceKey, ToilReport, ToilRow


class FakeSource:
    """Totals per day; a period's totals are its days' sums."""

    def __init__(self, days: Mapping[date, Mapping[SourceKey, Tally]]) -> None:
        self.days = dict(days)
        self.asked: list[tuple[Period, bool]] = []

    def tallies(self, period: Period, *, per_queue: bool) -> dict[SourceKey, Tally]:
        self.asked.append((period, per_queue))
        totals: dict[SourceKey, Tally] = {}
        for day in period.dates():
            for (ref, queue), tally in self.days.get(day, {}).items():
                accumulate(totals, (ref, queue if per_queue else None), tally)
        return totals


class FakeResolver:
    """Names from a map (a system or unknown code keeps its id); counts lookups."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = dict(names)
        self.lookups: Counter[str] = Counter()

    def resolve(self, code_id: str) -> str:
        self.lookups[code_id] += 1
        return self.names.get(code_id, code_id)


class FakeStore:
    """Reports by (key, last day)."""

    def __init__(self) -> None:
        self.reports: dict[tuple[str, date], ToilReport] = {}

    def previous_candidates(self, report: ToilReport) -> frozenset[CandidateKey] | None:
        earlier = [d for key, d in self.reports if key == report.report_key and d < report.period.last]
        if not earlier:
            return None
        return frozenset(r.key for r in self.reports[(report.report_key, max(earlier))].candidates)

    def save(self, report: ToilReport) -> None:
        self.reports[(report.report_key, report.period.last)] = report


class FakeNotifier:
    def __init__(self) -> None:
        self.notices: list[list[str]] = []

    def notify(self, report: ToilReport, new: Sequence[ToilRow]) -> None:
        self.notices.append([row.disposition for row in new])


class FakeMetrics:
    def __init__(self) -> None:
        self.published: list[tuple[list[str], list[str]]] = []

    def publish(self, report: ToilReport, new: Sequence[ToilRow]) -> None:
        self.published.append(([r.disposition for r in report.candidates], [r.disposition for r in new]))
