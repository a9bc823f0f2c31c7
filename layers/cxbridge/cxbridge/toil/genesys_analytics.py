"""Per-disposition totals from Genesys Cloud Analytics, so an org can measure toil before it routes events to us.

``POST /api/v2/analytics/conversations/aggregates/query`` grouped by ``wrapUpCode`` (and ``queueId``),
metrics ``nConnected, tHandle, tAcw, tTalk, tHeld`` per UTC day (``P1D``). ``t*`` metrics are ms: their
``count`` is how many calls had one and their ``sum`` the total, so ``tHandle.count`` is our ``handled``
and ``nConnected.count`` our ``calls``. Groups may carry dimensions we did not ask for (the official
sample shows ``mediaType``), so results are summed per (code, queue) whatever else the group says. A
conversation with no wrap-up code comes back in a group without ``wrapUpCode``.

Same conventions as ``GenesysClient``: a ``TokenCache`` (share the client's, so both ride one login), one
pooled session, no retries here; a 429 becomes an ``UpstreamFailure`` carrying ``Retry-After``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import requests
from pydantic import BaseModel, ConfigDict, ValidationError

from cxbridge.core.http import (
    DEFAULT_TIMEOUT_S,
    AuthorizedHttp,
    classify,
    json_body,
    log_response,
    parse_retry_after,
    transport_reason,
)
from cxbridge.core.observability import logger
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.toil.rules import DispositionRef, Tally, accumulate

if TYPE_CHECKING:
    from cxbridge.core.oauth import TokenCache
    from cxbridge.toil.rules import Period, SourceKey

SYSTEM = "genesys"
AGGREGATES_PATH = "/api/v2/analytics/conversations/aggregates/query"
METRICS = ("nConnected", "tHandle", "tAcw", "tTalk", "tHeld")


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class _Stats(_Model):
    count: int = 0
    sum: float = 0.0


class _Metric(_Model):
    metric: str
    stats: _Stats = _Stats()


class _Data(_Model):
    interval: str
    metrics: list[_Metric] = []


class _Result(_Model):
    group: dict[str, str] = {}
    data: list[_Data] = []


class AggregatesResponse(_Model):
    """``ConversationAggregateQueryResponse``, the parts we read; an org with no data may answer ``{}``."""

    results: list[_Result] = []


def aggregates_query(period: Period, *, per_queue: bool) -> dict[str, Any]:
    """The ``ConversationAggregationQuery`` body for the period's whole UTC days."""
    end = period.last + timedelta(days=1)
    return {
        "interval": f"{period.first.isoformat()}T00:00:00.000Z/{end.isoformat()}T00:00:00.000Z",
        "granularity": "P1D",
        "timeZone": "UTC",
        "groupBy": ["wrapUpCode", "queueId"] if per_queue else ["wrapUpCode"],
        "metrics": list(METRICS),
    }


def _day_tally(stats: dict[str, _Stats]) -> Tally:
    """One group's one interval; a metric no call had is absent from the answer."""
    empty = _Stats()
    return Tally(
        calls=stats.get("nConnected", empty).count,
        handled=stats.get("tHandle", empty).count,
        handle_ms=round(stats.get("tHandle", empty).sum),
        talk_ms=round(stats.get("tTalk", empty).sum),
        held_ms=round(stats.get("tHeld", empty).sum),
        acw_ms=round(stats.get("tAcw", empty).sum),
    )


def tallies_from_response(response: AggregatesResponse, *, per_queue: bool) -> dict[SourceKey, Tally]:
    """Totals per (wrap-up code, queue), summed over the days and over any extra group dimensions."""
    totals: dict[SourceKey, Tally] = {}
    for result in response.results:
        key = (DispositionRef(result.group.get("wrapUpCode")), result.group.get("queueId") if per_queue else None)
        for data in result.data:
            accumulate(totals, key, _day_tally({m.metric: m.stats for m in data.metrics}))
    return totals


class GenesysAnalyticsTallies:
    """``ToilSource`` on Genesys Cloud's conversation aggregates."""

    def __init__(
        self,
        tokens: TokenCache,
        api_base_url: str,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._url = api_base_url.rstrip("/") + AGGREGATES_PATH
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)

    def tallies(self, period: Period, *, per_queue: bool) -> dict[SourceKey, Tally]:
        """Raises ``UpstreamFailure`` when Genesys does not answer with aggregates (429 with its ``Retry-After``)."""
        body = aggregates_query(period, per_queue=per_queue)
        try:
            response = self._http.request("POST", lambda _: self._url, json=body)
        except requests.RequestException as exc:
            reason = transport_reason(exc)
            logger.warning("outbound call failed", extra={"system": SYSTEM, "error": reason})
            raise UpstreamFailure(classify(exc), reason) from None
        log_response(SYSTEM, response, query="conversation-aggregates")
        payload = json_body(response)
        if not response.ok:
            code = payload.get("code") if isinstance(payload, dict) else None
            reason = code if isinstance(code, str) and code else f"http:{response.status_code}"
            raise UpstreamFailure(classify(response), reason, parse_retry_after(response.headers.get("Retry-After")))
        try:
            parsed = AggregatesResponse.model_validate(payload if payload is not None else {})
        except ValidationError:
            raise UpstreamFailure(WriteStatus.TRANSIENT, "bad-response") from None
        return tallies_from_response(parsed, per_queue=per_queue)
