"""The toil report's DynamoDB side: per-day totals from the call records' ``byCallDate`` index, and the
stored reports.

The index projects only the flattened attributes the report needs, so a day is read as a paginated
``Query`` on its ``callDate`` without touching the records' cells. Days are read in parallel: a month
of a busy org is many pages, and API Gateway gives the report route 29 seconds.
"""

from __future__ import annotations

import gzip
import json
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.core.errors import TransientFailure
from cxbridge.toil.rules import DispositionRef, Tally, accumulate, call_tally

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from cxbridge.toil.rules import CandidateKey, Period, SourceKey, ToilReport

CALL_DATE_INDEX = "byCallDate"
_PROJECTION = "wrapupCodeId, dispositionName, queueId, talkMs, heldMs, acwMs, handleMs"


def _str(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name, {}).get("S")
    return value if isinstance(value, str) and value else None


def _int(item: dict[str, Any], name: str) -> int | None:
    value = item.get(name, {}).get("N")
    return int(value) if isinstance(value, str) else None


def item_key(item: dict[str, Any], *, per_queue: bool) -> SourceKey:
    """The disposition (code id first, else the webhook's name) and, at queue scope, the queue of an index item."""
    code_id = _str(item, "wrapupCodeId")
    ref = DispositionRef(code_id) if code_id is not None else DispositionRef(name=_str(item, "dispositionName"))
    return ref, _str(item, "queueId") if per_queue else None


class DynamoCallTallies:
    """``ToilSource`` on the call-records table's ``byCallDate`` index."""

    def __init__(
        self, client: Any, table_name: str, *, index_name: str = CALL_DATE_INDEX, max_parallel_days: int = 8
    ) -> None:
        self._client = client
        self._table = table_name
        self._index = index_name
        self._parallel = max_parallel_days

    def tallies(self, period: Period, *, per_queue: bool) -> dict[SourceKey, Tally]:
        totals: dict[SourceKey, Tally] = {}
        with ThreadPoolExecutor(max_workers=min(self._parallel, period.days)) as pool:
            for day in pool.map(partial(self._day, per_queue=per_queue), period.dates()):
                for key, tally in day.items():
                    accumulate(totals, key, tally)
        return totals

    def _day(self, day: date, *, per_queue: bool) -> dict[SourceKey, Tally]:
        totals: dict[SourceKey, Tally] = {}
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=self._index,
            KeyConditionExpression="callDate = :d",
            ExpressionAttributeValues={":d": {"S": day.isoformat()}},
            ProjectionExpression=_PROJECTION,
        )
        try:
            for page in pages:
                for item in page.get("Items", []):
                    tally = call_tally(
                        _int(item, "talkMs"), _int(item, "heldMs"), _int(item, "acwMs"), _int(item, "handleMs")
                    )
                    accumulate(totals, item_key(item, per_queue=per_queue), tally)
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"call records query failed: {type(exc).__name__}") from None
        return totals


class DynamoToilReportStore:
    """``ToilReportStore`` on a table keyed by ``reportKey`` (scope and length) and ``reportDate`` (last day).

    The report goes in gzipped JSON (a per-queue report of a large org has thousands of rows; an item
    holds 400 KB); its candidates go in a plain list, which is all the next run reads.
    """

    def __init__(self, client: Any, table_name: str, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._table = table_name
        self._clock = clock

    def previous_candidates(self, report: ToilReport) -> frozenset[CandidateKey] | None:
        try:
            resp = self._client.query(
                TableName=self._table,
                KeyConditionExpression="reportKey = :k AND reportDate < :d",
                ExpressionAttributeValues={
                    ":k": {"S": report.report_key},
                    ":d": {"S": report.period.last.isoformat()},
                },
                ProjectionExpression="candidates",
                ScanIndexForward=False,
                Limit=1,
            )
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"toil report read failed: {type(exc).__name__}") from None
        items = resp.get("Items", [])
        if not items:
            return None
        return frozenset(
            (_str(c["M"], "queueId"), c["M"]["disposition"]["S"]) for c in items[0].get("candidates", {}).get("L", [])
        )

    def save(self, report: ToilReport) -> None:
        body = report.as_dict()
        candidates = [
            {"M": {"disposition": {"S": r.disposition}, **({"queueId": {"S": r.queue_id}} if r.queue_id else {})}}
            for r in report.candidates
        ]
        item = {
            "reportKey": {"S": report.report_key},
            "reportDate": {"S": report.period.last.isoformat()},
            "firstDate": {"S": report.period.first.isoformat()},
            "scope": {"S": str(report.scope)},
            "source": {"S": report.source},
            "totalCalls": {"N": str(report.total_calls)},
            "candidates": {"L": candidates},
            "report": {"B": gzip.compress(json.dumps(body, separators=(",", ":")).encode(), mtime=0)},
            "createdAt": {"N": str(int(self._clock() * 1000))},
        }
        try:
            self._client.put_item(TableName=self._table, Item=item)
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"toil report write failed: {type(exc).__name__}") from None
