"""Toil measurement: which dispositions take a large share of the calls and a long handle time.

The seed guide's rule (section 1): a disposition that is more than 15 % of the volume and has an
average handle time over 300 s is a candidate for automation. Everything here is arithmetic on totals
per disposition (and queue), kept as integers until the end so that two sources holding the same calls
give the same report. Where the totals come from (our call records or Genesys Analytics) and how a
wrap-up code id becomes a name is the service's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from datetime import date

NO_DISPOSITION = "(no disposition)"
SYSTEM_CODE_PREFIX = "ININ-"  # Genesys' built-in wrap-up codes, e.g. ININ-WRAP-UP-TIMEOUT
MS_PER_S = 1_000
MS_PER_HOUR = 3_600_000
DAYS_PER_MONTH = 365.25 / 12
MAX_DAYS = 31  # a report covers at most a month (the API must answer within API Gateway's 29 s)


class Scope(StrEnum):
    """Shares over the whole org's calls, or over each queue's calls."""

    ORG = "org"
    QUEUE = "queue"


class DispositionKind(StrEnum):
    """Where a disposition's name came from; only wrap-up codes and webhook names can be automated."""

    CODE = "wrapup-code"
    NAME = "name"
    SYSTEM = "system"
    NONE = "none"


_KIND_PRECEDENCE = (DispositionKind.CODE, DispositionKind.NAME, DispositionKind.SYSTEM, DispositionKind.NONE)
# System codes say how a wrap-up ended, not what the work was; "no disposition" names no work at all.
AUTOMATABLE = frozenset({DispositionKind.CODE, DispositionKind.NAME})


@dataclass(frozen=True, slots=True)
class Tally:
    """Totals of a set of calls. ``handled`` counts calls with a handle time (Genesys' ``tHandle`` count)."""

    calls: int = 0
    handled: int = 0
    handle_ms: int = 0
    talk_ms: int = 0
    held_ms: int = 0
    acw_ms: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.calls + other.calls,
            self.handled + other.handled,
            self.handle_ms + other.handle_ms,
            self.talk_ms + other.talk_ms,
            self.held_ms + other.held_ms,
            self.acw_ms + other.acw_ms,
        )

    def mean_s(self, total_ms: int) -> float | None:
        """``total_ms`` per handled call, in seconds; None when no call was handled."""
        return total_ms / self.handled / MS_PER_S if self.handled else None


def call_tally(talk_ms: int | None, held_ms: int | None, acw_ms: int | None, handle_ms: int | None) -> Tally:
    """One call. Its handle time is the record's own (talk + hold + ACW + dialing + contacting)."""
    return Tally(
        calls=1,
        handled=int(handle_ms is not None),
        handle_ms=handle_ms or 0,
        talk_ms=talk_ms or 0,
        held_ms=held_ms or 0,
        acw_ms=acw_ms or 0,
    )


@dataclass(frozen=True, slots=True, order=True)
class DispositionRef:
    """A disposition as a source names it: a wrap-up code id, else a name (the webhook), else nothing."""

    code_id: str | None = None
    name: str | None = None

    @property
    def kind(self) -> DispositionKind:
        if self.code_id is not None:
            return DispositionKind.SYSTEM if self.code_id.startswith(SYSTEM_CODE_PREFIX) else DispositionKind.CODE
        return DispositionKind.NAME if self.name else DispositionKind.NONE


type QueueId = str | None
type SourceKey = tuple[DispositionRef, QueueId]
type CandidateKey = tuple[QueueId, str]  # (queue id, disposition name); the queue is None at org scope


def accumulate(into: dict[SourceKey, Tally], key: SourceKey, tally: Tally) -> None:
    """Add ``tally`` to the totals under ``key``."""
    into[key] = into.get(key, Tally()) + tally


@dataclass(frozen=True, slots=True)
class NamedTallies:
    """Totals by (queue, disposition name), and what kind of disposition each name is."""

    tallies: Mapping[CandidateKey, Tally]
    kinds: Mapping[str, DispositionKind]


def name_tallies(raw: Mapping[SourceKey, Tally], code_names: Mapping[str, str]) -> NamedTallies:
    """Merge totals by display name: two codes (or a code and a webhook name) with one name are one disposition."""
    tallies: dict[CandidateKey, Tally] = {}
    kinds: dict[str, DispositionKind] = {}
    for (ref, queue_id), tally in raw.items():
        name = code_names[ref.code_id] if ref.code_id is not None else ref.name or NO_DISPOSITION
        tallies[(queue_id, name)] = tallies.get((queue_id, name), Tally()) + tally
        known = kinds.get(name, ref.kind)
        kinds[name] = min(known, ref.kind, key=_KIND_PRECEDENCE.index)
    return NamedTallies(tallies, kinds)


@dataclass(frozen=True, slots=True)
class Period:
    """Whole UTC days ``first`` .. ``last``, both included."""

    first: date
    last: date

    @classmethod
    def ending(cls, last: date, days: int) -> Period:
        if days < 1:
            raise ValueError("a period has at least one day")
        return cls(last - timedelta(days=days - 1), last)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one (the trend's baseline)."""
        return Period.ending(self.first - timedelta(days=1), self.days)

    def dates(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range(self.days)]


@dataclass(frozen=True, slots=True)
class ToilPolicy:
    """The candidate thresholds (strictly above both) and the share of a candidate's work automation removes."""

    share_threshold_pct: float = 15.0
    aht_threshold_s: float = 300.0
    automation_rate: float = 1.0

    def is_candidate(self, tally: Tally, total_calls: int) -> bool:
        """More than the share of the volume and more than the AHT; compared exactly, not in floats."""
        if not total_calls or not tally.handled:
            return False
        share_pct = Fraction(tally.calls * 100, total_calls)
        aht_ms = Fraction(tally.handle_ms, tally.handled)
        share_limit = Fraction(str(self.share_threshold_pct))
        aht_limit_ms = Fraction(str(self.aht_threshold_s)) * MS_PER_S
        return share_pct > share_limit and aht_ms > aht_limit_ms

    def hours_saved_per_month(self, tally: Tally, days: int) -> float:
        """Agent hours a month freed if the disposition were automated (the formula is in docs/decisions.md)."""
        return tally.handle_ms / MS_PER_HOUR / days * DAYS_PER_MONTH * self.automation_rate


@dataclass(frozen=True, slots=True)
class Figures:
    """One disposition in one period."""

    tally: Tally
    share: float  # of the scope's calls, 0..1
    candidate: bool

    @property
    def aht_s(self) -> float | None:
        return self.tally.mean_s(self.tally.handle_ms)

    def as_dict(self) -> dict[str, Any]:
        t = self.tally
        return {
            "calls": t.calls,
            "handled": t.handled,
            "sharePct": round(self.share * 100, 2),
            "ahtSeconds": _round(self.aht_s, 1),
            "avgTalkSeconds": _round(t.mean_s(t.talk_ms), 1),
            "avgHoldSeconds": _round(t.mean_s(t.held_ms), 1),
            "avgAcwSeconds": _round(t.mean_s(t.acw_ms), 1),
            "handleHours": round(t.handle_ms / MS_PER_HOUR, 2),
            "candidate": self.candidate,
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True, slots=True)
class ToilRow:
    """One disposition (in one queue at queue scope): this period, the previous one, and the saving."""

    disposition: str
    queue_id: QueueId
    kind: DispositionKind
    current: Figures
    previous: Figures
    hours_saved_per_month: float

    @property
    def key(self) -> CandidateKey:
        return (self.queue_id, self.disposition)

    @property
    def automatable(self) -> bool:
        return self.kind in AUTOMATABLE

    @property
    def candidate(self) -> bool:
        return self.current.candidate

    def as_dict(self) -> dict[str, Any]:
        now, before = self.current, self.previous
        aht_change = None if now.aht_s is None or before.aht_s is None else round(now.aht_s - before.aht_s, 1)
        return {
            "disposition": self.disposition,
            "queueId": self.queue_id,
            "kind": str(self.kind),
            "automatable": self.automatable,
            **now.as_dict(),
            "hoursSavedPerMonth": round(self.hours_saved_per_month, 1),
            "newCandidate": now.candidate and not before.candidate,
            "sharePctChange": round((now.share - before.share) * 100, 2),
            "ahtSecondsChange": aht_change,
            "previous": before.as_dict(),
        }


@dataclass(frozen=True, slots=True)
class ToilReport:
    """The report for one period and scope; rows with the most handle time first."""

    period: Period
    scope: Scope
    source: str
    policy: ToilPolicy
    total_calls: int
    previous_total_calls: int
    rows: tuple[ToilRow, ...] = field(default=())

    @property
    def report_key(self) -> str:
        """Reports that follow one another share a key: the scope and the period's length."""
        return f"{self.scope}#{self.period.days}d"

    @property
    def candidates(self) -> tuple[ToilRow, ...]:
        return tuple(row for row in self.rows if row.candidate)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reportDate": self.period.last.isoformat(),
            "firstDate": self.period.first.isoformat(),
            "days": self.period.days,
            "scope": str(self.scope),
            "source": self.source,
            "thresholds": {
                "sharePct": self.policy.share_threshold_pct,
                "ahtSeconds": self.policy.aht_threshold_s,
                "automationRate": self.policy.automation_rate,
            },
            "totalCalls": self.total_calls,
            "previousTotalCalls": self.previous_total_calls,
            "candidates": [{"disposition": r.disposition, "queueId": r.queue_id} for r in self.candidates],
            "rows": [row.as_dict() for row in self.rows],
        }


def _volumes(tallies: Mapping[CandidateKey, Tally]) -> dict[QueueId, int]:
    """Calls per queue (one entry, None, at org scope): the denominators of the shares."""
    volumes: dict[QueueId, int] = {}
    for (queue_id, _), tally in tallies.items():
        volumes[queue_id] = volumes.get(queue_id, 0) + tally.calls
    return volumes


def _figures(tally: Tally, volume: int, policy: ToilPolicy, automatable: bool) -> Figures:
    share = tally.calls / volume if volume else 0.0
    return Figures(tally, share, automatable and policy.is_candidate(tally, volume))


def build_report(
    current: NamedTallies, previous: NamedTallies, *, period: Period, scope: Scope, policy: ToilPolicy, source: str
) -> ToilReport:
    """Shares, AHT, candidates and trend for every disposition seen in either period."""
    now_volumes, before_volumes = _volumes(current.tallies), _volumes(previous.tallies)
    kinds = {**previous.kinds, **current.kinds}
    rows = []
    for key in set(current.tallies) | set(previous.tallies):
        queue_id, name = key
        now = current.tallies.get(key, Tally())
        before = previous.tallies.get(key, Tally())
        automatable = kinds[name] in AUTOMATABLE
        rows.append(
            ToilRow(
                disposition=name,
                queue_id=queue_id,
                kind=kinds[name],
                current=_figures(now, now_volumes.get(queue_id, 0), policy, automatable),
                previous=_figures(before, before_volumes.get(queue_id, 0), policy, automatable),
                hours_saved_per_month=policy.hours_saved_per_month(now, period.days) if automatable else 0.0,
            )
        )
    rows.sort(key=lambda r: (r.queue_id or "", -r.current.tally.handle_ms, -r.current.tally.calls, r.disposition))
    return ToilReport(
        period=period,
        scope=scope,
        source=source,
        policy=policy,
        total_calls=sum(now_volumes.values()),
        previous_total_calls=sum(before_volumes.values()),
        rows=tuple(rows),
    )


def new_candidates(report: ToilReport, known: Iterable[CandidateKey]) -> tuple[ToilRow, ...]:
    """The report's candidates that are not among ``known`` (the previous report's candidates)."""
    seen = set(known)
    return tuple(row for row in report.candidates if row.key not in seen)
