"""Call outcomes into Salesforce: sObject Collections upsert by an External ID field, up to 200 per call.

One Collections request is one API call against the org's daily allocation, whatever the number of
records, and an upsert keyed by the conversation id can be repeated safely, so the queue may redeliver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Self

import requests
from pydantic import BaseModel, ConfigDict, Field, model_validator

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
from cxbridge.crm.outcome import CrmWriteResult, MappingError, no_deadline, not_sent

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cxbridge.core.oauth import AccessToken, TokenCache
    from cxbridge.crm.outcome import CrmOutcome

SYSTEM = "salesforce"
API_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"
# Per-record or whole-request codes that a later attempt can get past.
THROTTLE_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED"})
RETRY_CODES = frozenset(
    {
        "UNABLE_TO_LOCK_ROW",  # another transaction holds the row
        "DUPLICATE_VALUE",  # a concurrent upsert created the key first; the retry updates it
        "SERVER_UNAVAILABLE",
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",  # another record failed; this one was fine
    }
)


class SalesforceMapping(BaseModel):
    """Where and how outcomes land: configuration, not code.

    ``fields`` maps a Salesforce field API name to a ``CrmOutcome`` attribute name. The external ID
    field (External ID + Unique, so an upsert never creates a duplicate) gets the conversation id.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    object: str = Field(pattern=API_NAME, examples=["Call_Log__c"])
    external_id_field: str = Field(pattern=API_NAME, examples=["CallReference__c"])
    fields: dict[Annotated[str, Field(pattern=API_NAME)], str] = Field(default_factory=dict)
    api_version: str = Field(default="66.0", pattern=r"^\d{2,3}\.0$")

    @model_validator(mode="after")
    def _key_is_not_mapped(self) -> Self:
        if self.external_id_field in self.fields:
            raise ValueError("the external ID field carries the conversation id; it cannot be mapped")
        return self


def _status_for_code(code: str) -> WriteStatus:
    if code in THROTTLE_CODES:
        return WriteStatus.THROTTLED
    if code in RETRY_CODES:
        return WriteStatus.TRANSIENT
    return WriteStatus.PERMANENT


def _error_code(body: Any) -> str | None:
    """``errorCode`` of a whole-request error body: ``[{"message": ..., "errorCode": ..., "fields": [...]}]``."""
    first = body[0] if isinstance(body, list) and body else None
    code = first.get("errorCode") if isinstance(first, dict) else None
    return code if isinstance(code, str) and code else None


def _item_result(conversation_id: str, item: Any) -> CrmWriteResult:
    """One element of the Collections answer; its error key is ``statusCode``, and its message is never kept."""
    if not isinstance(item, dict):
        return CrmWriteResult(conversation_id, WriteStatus.TRANSIENT, reason="bad-response")
    if item.get("success") is True:
        crm_id = item.get("id")
        return CrmWriteResult(conversation_id, WriteStatus.WRITTEN, crm_id=crm_id if isinstance(crm_id, str) else None)
    errors = item.get("errors")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code = first.get("statusCode")
    code = code if isinstance(code, str) and code else "UNKNOWN_ERROR"
    logger.warning("crm record rejected", extra={"system": SYSTEM, "conversationId": conversation_id, "reason": code})
    return CrmWriteResult(conversation_id, _status_for_code(code), reason=code)


class SalesforceSink:
    """Upserts outcomes as records of one sObject, keyed by the conversation id."""

    max_batch = 200  # the Collections limit

    def __init__(
        self,
        mapping: SalesforceMapping,
        tokens: TokenCache,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.mapping = mapping
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)

    def write(
        self, outcomes: Sequence[CrmOutcome], may_send: Callable[[], bool] = no_deadline, /
    ) -> list[CrmWriteResult]:
        """One result per outcome, in order; more than ``max_batch`` outcomes go in several requests.

        A conversation given twice is sent once, with its last outcome (Salesforce rejects both copies
        of a key repeated in one request), and both positions get that write's result.
        """
        latest = {outcome.conversation_id: outcome for outcome in outcomes}
        unique = list(latest.values())
        try:
            records = [self._record(outcome) for outcome in unique]
        except MappingError as exc:
            results = {cid: CrmWriteResult(cid, WriteStatus.PERMANENT, reason=f"mapping:{exc.name}") for cid in latest}
        else:
            results = {}
            for start in range(0, len(unique), self.max_batch):
                ids = [outcome.conversation_id for outcome in unique[start : start + self.max_batch]]
                if may_send():
                    results.update(self._upsert(ids, records[start : start + self.max_batch]))
                else:
                    results.update({cid: not_sent(cid) for cid in ids})
        return [results[outcome.conversation_id] for outcome in outcomes]

    def _record(self, outcome: CrmOutcome) -> dict[str, Any]:
        record: dict[str, Any] = {
            "attributes": {"type": self.mapping.object},
            self.mapping.external_id_field: outcome.conversation_id,
        }
        for field, attribute in self.mapping.fields.items():
            value = outcome.value(attribute)
            if value is not None:
                record[field] = value
        return record

    def _url(self, token: AccessToken) -> str:
        if not token.instance_url:
            raise UpstreamFailure(WriteStatus.TRANSIENT, "token:no-instance-url")
        m = self.mapping
        base = f"{token.instance_url}/services/data/v{m.api_version}"
        return f"{base}/composite/sobjects/{m.object}/{m.external_id_field}"

    def _upsert(self, ids: list[str], records: list[dict[str, Any]]) -> dict[str, CrmWriteResult]:
        def every(status: WriteStatus, reason: str, retry_after_s: float | None = None) -> dict[str, CrmWriteResult]:
            return {cid: CrmWriteResult(cid, status, retry_after_s, reason) for cid in ids}

        try:
            response = self._http.request("PATCH", self._url, json={"allOrNone": False, "records": records})
        except UpstreamFailure as failure:
            return every(failure.status, failure.reason, failure.retry_after_s)
        except requests.RequestException as exc:
            reason = transport_reason(exc)
            logger.warning("outbound call failed", extra={"system": SYSTEM, "error": reason, "records": len(ids)})
            return every(classify(exc), reason)
        log_response(SYSTEM, response, records=len(ids), apiUsage=response.headers.get("Sforce-Limit-Info"))
        body = json_body(response)
        if response.ok:
            if not isinstance(body, list) or len(body) != len(ids):
                return every(WriteStatus.TRANSIENT, "bad-response")
            return {cid: _item_result(cid, item) for cid, item in zip(ids, body, strict=True)}
        code = _error_code(body)
        status = classify(response)
        if code in THROTTLE_CODES or (code in RETRY_CODES and status is WriteStatus.PERMANENT):
            status = _status_for_code(code)  # 403 REQUEST_LIMIT_EXCEEDED; a 4xx that names a passing condition
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return every(status, code or f"http:{response.status_code}", retry_after)
