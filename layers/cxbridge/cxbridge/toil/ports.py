"""The toil feature's ports: where totals come from, where reports are kept and announced."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cxbridge.toil.rules import CandidateKey, Period, SourceKey, Tally, ToilReport, ToilRow


class ToilSource(Protocol):
    """Where per-disposition totals come from: our call records, or Genesys Analytics."""

    def tallies(self, period: Period, *, per_queue: bool) -> dict[SourceKey, Tally]:
        """Totals per (disposition as the source names it, queue id or None) over the period's days."""
        ...


class ToilReportStore(Protocol):
    """Reports kept so each run can be compared with the one before it."""

    def previous_candidates(self, report: ToilReport) -> frozenset[CandidateKey] | None:
        """The candidates of the newest stored report with the same key before this one; None if there is none."""
        ...

    def save(self, report: ToilReport) -> None:
        """Store (or replace) the report for its key and date."""
        ...


class CandidateNotifier(Protocol):
    """Tells people that dispositions have just become automation candidates."""

    def notify(self, report: ToilReport, new: Sequence[ToilRow]) -> None:
        """Send one notice listing ``new``; raise ``TransientFailure`` if it could not be sent."""
        ...


class ToilMetrics(Protocol):
    """Per-candidate figures for dashboards and alarms."""

    def publish(self, report: ToilReport, new: Sequence[ToilRow]) -> None:
        """Emit the report's candidate figures and counts."""
        ...
