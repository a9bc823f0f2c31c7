"""Genesys Cloud conversation aggregates inside the Genesys fake, computed from the calls it is seeded with.

``POST /api/v2/analytics/conversations/aggregates/query`` with the real ``ConversationAggregationQuery``
shape (``interval`` and ``metrics`` required; ``granularity`` ``P1D`` or none; ``groupBy`` of
``wrapUpCode``, ``queueId``, ``mediaType``) answers ``{"results": [{"group", "data": [{"interval",
"metrics": [{"metric", "stats"}]}]}]}``. As in the official sample, ``mediaType`` is in every group even
when not asked for, a metric no call had is left out, and a call without a wrap-up code is in a group
without ``wrapUpCode``. A call's handle counts in the interval in which its after-call work ends
(``end_ms``), as Genesys counts it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from local.sandboxes.base import Reply, Request, Route

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from local.sandboxes.genesys import GenesysSandbox

PATH = "/api/v2/analytics/conversations/aggregates/query"
GROUP_DIMENSIONS = frozenset({"wrapUpCode", "queueId", "mediaType"})
_T_METRICS = {
    "tHandle": ("talk_ms", "held_ms", "acw_ms", "dialing_ms", "contacting_ms"),
    "tTalk": ("talk_ms",),
    "tHeld": ("held_ms",),
    "tAcw": ("acw_ms",),
    "tDialing": ("dialing_ms",),
    "tContacting": ("contacting_ms",),
}
METRICS = frozenset({"nConnected", *_T_METRICS})


@dataclass(frozen=True)
class AnalyticsCall:
    """One connected conversation as Analytics counts it; ``None`` durations did not happen."""

    conversation_id: str
    end_ms: int  # when its after-call work ended (epoch ms)
    wrapup_code_id: str | None = None
    queue_id: str | None = None
    media_type: str = "voice"
    talk_ms: int | None = None
    held_ms: int | None = None
    acw_ms: int | None = None
    dialing_ms: int | None = None
    contacting_ms: int | None = None

    def duration(self, parts: tuple[str, ...]) -> int | None:
        """The sum of the parts that happened, or None when none did."""
        present = [v for v in (getattr(self, p) for p in parts) if v is not None]
        return sum(present) if present else None

    def group(self, dimensions: Iterable[str]) -> dict[str, str]:
        values = {"wrapUpCode": self.wrapup_code_id, "queueId": self.queue_id, "mediaType": self.media_type}
        return {d: v for d in [*dimensions, "mediaType"] if (v := values[d]) is not None}


def _bad(message: str) -> Reply:
    body = {"message": message, "code": "bad.request", "status": 400, "contextId": "sandbox", "details": []}
    return Reply(400, {**body, "errors": []})


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _stats(metric: str, calls: Sequence[AnalyticsCall]) -> dict[str, Any] | None:
    if metric == "nConnected":
        return {"count": len(calls)}
    values = [v for v in (c.duration(_T_METRICS[metric]) for c in calls) if v is not None]
    if not values:
        return None
    return {"max": max(values), "min": min(values), "count": len(values), "sum": sum(values)}


class ConversationAggregatesFake:
    """The conversations of one org, served by ``server``'s routes and lock."""

    def __init__(self, server: GenesysSandbox, calls: Iterable[AnalyticsCall] = ()) -> None:
        self._server = server
        self.calls: list[AnalyticsCall] = list(calls)

    def routes(self) -> list[Route]:
        return [Route("POST", re.compile(PATH), "conversation_aggregates", self._query)]

    def state(self) -> dict[str, Any]:
        return {"analytics_calls": len(self.calls)}

    def seed(self, calls: Iterable[AnalyticsCall]) -> None:
        """Add conversations for later queries."""
        with self._server.lock:
            self.calls.extend(calls)

    def _query(self, request: Request) -> Reply:
        if not self._server.token_valid(request.bearer()):
            return Reply(401, {"message": "Invalid login credentials.", "code": "bad.credentials", "status": 401})
        try:
            body = request.json()
            start, end = (_instant(part) for part in body["interval"].split("/"))
        except (ValueError, KeyError, TypeError, AttributeError):
            return _bad("interval is required as <start>/<end> in ISO-8601")
        metrics, group_by = body.get("metrics"), body.get("groupBy", [])
        if not isinstance(metrics, list) or not metrics or not set(metrics) <= METRICS:
            return _bad(f"metrics must be a non-empty list of {sorted(METRICS)}")
        if not isinstance(group_by, list) or not set(group_by) <= GROUP_DIMENSIONS:
            return _bad(f"groupBy may hold {sorted(GROUP_DIMENSIONS)}")
        if body.get("granularity") not in (None, "P1D") or body.get("timeZone", "UTC") != "UTC":
            return _bad("the sandbox supports granularity P1D (or none) in time zone UTC")
        step = timedelta(days=1) if body.get("granularity") == "P1D" else end - start
        return Reply(200, {"results": self._results(start, end, step, metrics, group_by)})

    def _results(
        self, start: datetime, end: datetime, step: timedelta, metrics: list[str], group_by: list[str]
    ) -> list[dict[str, Any]]:
        groups: dict[tuple[tuple[str, str], ...], list[dict[str, Any]]] = {}
        bucket = start
        while bucket < end:
            lo, hi = int(bucket.timestamp() * 1000), int(min(bucket + step, end).timestamp() * 1000)
            by_group: dict[tuple[tuple[str, str], ...], list[AnalyticsCall]] = {}
            for call in self.calls:
                if lo <= call.end_ms < hi:
                    by_group.setdefault(tuple(sorted(call.group(group_by).items())), []).append(call)
            for key, calls in sorted(by_group.items()):
                stats = [(m, _stats(m, calls)) for m in metrics]
                data = {
                    "interval": f"{_iso(bucket)}/{_iso(min(bucket + step, end))}",
                    "metrics": [{"metric": m, "stats": s} for m, s in stats if s is not None],
                }
                groups.setdefault(key, []).append(data)
            bucket += step
        return [{"group": dict(key), "data": data} for key, data in sorted(groups.items())]
