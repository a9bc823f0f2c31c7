"""Call outcomes into Dataverse (Dynamics 365): Web API v9.2, ``UpsertMultiple`` on the mapped table.

One ``UpsertMultiple`` request carries ``batch_size`` targets, each addressed by the alternate key that
holds the conversation id (``@odata.id``) and typed (``@odata.type``); it answers 204 with no body, so
every target of an accepted request is written. A standard table rolls the whole request back when one
target is bad, so a request refused for its content is split in halves until the bad record stands
alone (dead-lettered with Dataverse's code) and the others are written. Upserts by key are idempotent:
sending a good record again is harmless, which is also why a split converges on an elastic table
(partial success) without reading its per-record error details, whose Web API shape is unconfirmed.

Not every table takes the bulk messages: the first write asks ``sdkmessagefilters`` once, and a table
that cannot, or ``write_mode: single``, gets parallel single upserts (``PATCH`` by alternate key) on a
bounded thread pool. Either way a 429 (service protection, ``Retry-After``) stops the write's remaining
requests: what was not sent waits at least as long.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, Self
from urllib.parse import quote

import requests
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cxbridge.core.http import (
    DEFAULT_TIMEOUT_S,
    AuthorizedHttp,
    classify,
    json_body,
    log_response,
    new_session,
    parse_retry_after,
    transport_reason,
)
from cxbridge.core.observability import logger
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.crm.outcome import CrmWriteResult, MappingError, no_deadline, not_sent

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cxbridge.core.oauth import TokenCache
    from cxbridge.crm.outcome import CrmOutcome

SYSTEM = "dynamics"
API_VERSION = "9.2"
LOGICAL_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
# Characters that break an alternate-key URL even when percent-encoded (Dataverse alternate-key docs).
FORBIDDEN_KEY_CHARACTERS = frozenset("/<>*%&:\\?")
ODATA_HEADERS = {
    "Accept": "application/json",
    "OData-MaxVersion": "4.0",
    "OData-Version": "4.0",
    "Content-Type": "application/json",
}
# Targets per UpsertMultiple request: Microsoft's figure for elastic tables, and a cautious start for
# standard ones (its ~1,000 assumes small rows and no plug-ins); a request must finish within the HTTP
# timeout, and a worker batch (200) is then two requests.
DEFAULT_BATCH_SIZE = 100
MAX_BATCH_SIZE = 1000
# Single upserts in flight at once when the table cannot take UpsertMultiple (the service protection
# limit is 52 concurrent requests per user, shared by every worker).
DEFAULT_PARALLEL_REQUESTS = 4
MAX_PARALLEL_REQUESTS = 52
_ENTITY_ID = re.compile(r"\(([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\)$")


class DynamicsMapping(BaseModel):
    """Where and how outcomes land: configuration, not code.

    ``fields`` maps a column's logical name to a ``CrmOutcome`` attribute name. ``alternate_key`` is a
    single-column alternate key that gets the conversation id (its index must be Active).
    ``logical_name`` is the table's logical name (``@odata.type`` of every target), needed by
    ``write_mode: bulk``; ``single`` sends one upsert per record.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity_set: str = Field(pattern=LOGICAL_NAME, examples=["cxb_calllogs"])
    alternate_key: str = Field(pattern=LOGICAL_NAME, examples=["cxb_conversationid"])
    fields: dict[str, str] = Field(default_factory=dict)
    logical_name: str | None = Field(default=None, pattern=LOGICAL_NAME, examples=["cxb_calllog"])
    write_mode: Literal["bulk", "single"] = "bulk"
    # Lookup columns: a mapped column named here (``cxb_Contact@odata.bind``) is sent as ``/<entity set>(<id>)``.
    binds: dict[str, str] = Field(default_factory=dict, examples=[{"cxb_Contact@odata.bind": "contacts"}])

    @model_validator(mode="after")
    def _key_is_not_mapped(self) -> Self:
        if self.alternate_key in self.fields:
            raise ValueError("the alternate key carries the conversation id; it cannot be mapped")
        if self.write_mode == "bulk" and self.logical_name is None:
            raise ValueError("logical_name is required with write_mode bulk (the @odata.type of every target)")
        return self


def key_literal(value: str) -> str:
    """An OData string literal for a key value: quotes doubled, then percent-encoded for the URL path.

    Raises ``ValueError`` for a value Dataverse cannot take in a key URL.
    """
    if not value or FORBIDDEN_KEY_CHARACTERS.intersection(value):
        raise ValueError("key value is empty or has a character alternate keys cannot carry")
    return "'" + quote(value.replace("'", "''"), safe="'") + "'"


def _error_code(body: Any) -> str | None:
    """``error.code`` of ``{"error": {"code": "0x...", "message": ...}}``; Dataverse often leaves it empty."""
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) and code else None


def _failure(response: requests.Response) -> tuple[WriteStatus, str, float | None]:
    return (
        classify(response),
        _error_code(json_body(response)) or f"http:{response.status_code}",
        parse_retry_after(response.headers.get("Retry-After")),
    )


class _Target:
    """One record ready to send: its key's URL segment and its columns."""

    __slots__ = ("cid", "key", "row")

    def __init__(self, cid: str, key: str, row: dict[str, Any]) -> None:
        self.cid, self.key, self.row = cid, key, row


class DynamicsSink:
    """Upserts outcomes as rows of one table, addressed by an alternate key holding the conversation id."""

    def __init__(
        self,
        mapping: DynamicsMapping,
        org_url: str,
        tokens: TokenCache,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        batch_size: int = DEFAULT_BATCH_SIZE,
        parallel_requests: int = DEFAULT_PARALLEL_REQUESTS,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH_SIZE or not 1 <= parallel_requests <= MAX_PARALLEL_REQUESTS:
            raise ValueError("batch_size or parallel_requests is out of range")
        self.mapping = mapping
        self.max_batch = batch_size  # records per write; one UpsertMultiple request, or that many upserts
        self._api = f"{org_url.rstrip('/')}/api/data/v{API_VERSION}"
        self._base = f"{self._api}/{mapping.entity_set}"
        self._parallel = parallel_requests
        self._http = AuthorizedHttp(
            SYSTEM, tokens, session=session or new_session(parallel_requests), timeout_s=timeout_s
        )
        # None until asked: can the table take UpsertMultiple?
        self._bulk: bool | None = None if mapping.write_mode == "bulk" else False

    def write(
        self, outcomes: Sequence[CrmOutcome], may_send: Callable[[], bool] = no_deadline, /
    ) -> list[CrmWriteResult]:
        """One result per outcome, in order. A conversation given twice is sent once, with its last outcome."""
        latest = {outcome.conversation_id: outcome for outcome in outcomes}
        results: dict[str, CrmWriteResult] = {}
        targets: list[_Target] = []
        for cid, outcome in latest.items():
            target = self._target(outcome)
            if isinstance(target, CrmWriteResult):
                results[cid] = target
            else:
                targets.append(target)
        if targets:
            results.update(self._send(targets, may_send))
        return [results[outcome.conversation_id] for outcome in outcomes]

    def _target(self, outcome: CrmOutcome) -> _Target | CrmWriteResult:
        cid = outcome.conversation_id
        try:
            row = {
                col: f"/{self.mapping.binds[col]}({v})" if col in self.mapping.binds else v
                for col, attr in self.mapping.fields.items()
                if (v := outcome.value(attr)) is not None
            }
        except MappingError as exc:
            return CrmWriteResult(cid, WriteStatus.PERMANENT, reason=f"mapping:{exc.name}")
        try:
            key = f"{self.mapping.alternate_key}={key_literal(cid)}"
        except ValueError:
            return CrmWriteResult(cid, WriteStatus.PERMANENT, reason="key:unsupported-character")
        return _Target(cid, key, row)

    def _send(self, targets: list[_Target], may_send: Callable[[], bool]) -> dict[str, CrmWriteResult]:
        if self._bulk is None:
            if not may_send():
                return {t.cid: not_sent(t.cid) for t in targets}
            known = self._takes_bulk()
            if isinstance(known, tuple):
                status, reason, retry_after = known
                return {t.cid: CrmWriteResult(t.cid, status, retry_after, reason) for t in targets}
            self._bulk = known
        if self._bulk:
            return self._bulk_write(targets, may_send)
        return self._singles(targets, may_send)

    def _takes_bulk(self) -> bool | tuple[WriteStatus, str, float | None]:
        """Whether the table has an UpsertMultiple message filter; the failure if Dataverse cannot say."""
        query = "$select=sdkmessagefilterid&$filter=" + quote(
            f"sdkmessageid/name eq 'UpsertMultiple' and primaryobjecttypecode eq '{self.mapping.logical_name}'"
        )
        url = f"{self._api}/sdkmessagefilters?{query}"
        try:
            response = self._http.request("GET", lambda _: url, headers=ODATA_HEADERS)
        except UpstreamFailure as failure:
            return failure.status, failure.reason, failure.retry_after_s
        except requests.RequestException as exc:
            return classify(exc), transport_reason(exc), None
        log_response(SYSTEM, response, check="UpsertMultiple")
        body = json_body(response)
        filters = body.get("value") if isinstance(body, dict) else None
        if not response.ok or not isinstance(filters, list):
            return _failure(response) if not response.ok else (WriteStatus.TRANSIENT, "bad-response", None)
        if not filters:
            logger.warning("table cannot take UpsertMultiple: single upserts", extra={"system": SYSTEM})
        return bool(filters)

    # ---- UpsertMultiple ------------------------------------------------------------------------------

    def _bulk_write(self, targets: list[_Target], may_send: Callable[[], bool]) -> dict[str, CrmWriteResult]:
        """Send ``targets`` in one request; a request refused for its content is split in halves."""
        if not may_send():
            return {t.cid: not_sent(t.cid) for t in targets}
        status, reason, retry_after = self._upsert_multiple(targets)
        if status is not WriteStatus.PERMANENT or len(targets) == 1:
            return {t.cid: CrmWriteResult(t.cid, status, retry_after, reason) for t in targets}
        half = len(targets) // 2
        results = self._bulk_write(targets[:half], may_send)
        throttled = next((r for r in results.values() if r.status is WriteStatus.THROTTLED), None)
        if throttled is not None:  # the first 429 stops the rest: it waits as long
            rest = {
                t.cid: CrmWriteResult(t.cid, throttled.status, throttled.retry_after_s, throttled.reason)
                for t in targets[half:]
            }
            return results | rest
        return results | self._bulk_write(targets[half:], may_send)

    def _upsert_multiple(self, targets: list[_Target]) -> tuple[WriteStatus, str | None, float | None]:
        entity_type = f"Microsoft.Dynamics.CRM.{self.mapping.logical_name}"
        body = {
            "Targets": [
                {
                    "@odata.type": entity_type,
                    "@odata.id": f"{self.mapping.entity_set}({t.key})",
                    self.mapping.alternate_key: t.cid,
                    **t.row,
                }
                for t in targets
            ]
        }
        url = f"{self._base}/Microsoft.Dynamics.CRM.UpsertMultiple"
        try:
            response = self._http.request("POST", lambda _: url, json=body, headers=ODATA_HEADERS)
        except UpstreamFailure as failure:
            return failure.status, failure.reason, failure.retry_after_s
        except requests.RequestException as exc:
            reason = transport_reason(exc)
            logger.warning("outbound call failed", extra={"system": SYSTEM, "error": reason, "records": len(targets)})
            return classify(exc), reason, None
        log_response(SYSTEM, response, records=len(targets))
        if response.ok:
            return WriteStatus.WRITTEN, None, None
        return _failure(response)

    # ---- single upserts ------------------------------------------------------------------------------

    def _singles(self, targets: list[_Target], may_send: Callable[[], bool]) -> dict[str, CrmWriteResult]:
        """One upsert per record, ``parallel_requests`` at a time; the first 429 stops those not yet sent."""
        stop = threading.Event()
        throttles: list[CrmWriteResult] = []

        def one(target: _Target) -> CrmWriteResult:
            if stop.is_set():
                first = throttles[0]
                return CrmWriteResult(target.cid, first.status, first.retry_after_s, first.reason)
            if not may_send():
                return not_sent(target.cid)
            result = self._upsert(target)
            if result.status is WriteStatus.THROTTLED:
                throttles.append(result)
                stop.set()
            return result

        with ThreadPoolExecutor(max_workers=min(self._parallel, len(targets))) as pool:
            return {t.cid: r for t, r in zip(targets, pool.map(one, targets), strict=True)}

    def _upsert(self, target: _Target) -> CrmWriteResult:
        cid = target.cid
        url = f"{self._base}({target.key})"
        try:
            response = self._http.request("PATCH", lambda _: url, json=target.row, headers=ODATA_HEADERS)
        except UpstreamFailure as failure:
            return CrmWriteResult(cid, failure.status, failure.retry_after_s, failure.reason)
        except requests.RequestException as exc:
            reason = transport_reason(exc)
            logger.warning("outbound call failed", extra={"system": SYSTEM, "error": reason, "conversationId": cid})
            return CrmWriteResult(cid, classify(exc), reason=reason)
        log_response(SYSTEM, response, conversationId=cid)
        if response.ok:
            match = _ENTITY_ID.search(response.headers.get("OData-EntityId", ""))
            return CrmWriteResult(cid, WriteStatus.WRITTEN, crm_id=match.group(1) if match else None)
        status, reason, retry_after = _failure(response)
        return CrmWriteResult(cid, status, retry_after, reason)
