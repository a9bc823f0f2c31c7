"""Call outcomes into Dataverse (Dynamics 365): Web API v9.2 upsert by alternate key, one request per record.

Why not ``$batch``: Microsoft's guidance is that parallel single requests give more throughput than
batches, and a batch counts against service protection limits all the same. Single requests also keep
``Retry-After`` and the error code attached to the one record they concern. So ``max_batch`` is 1, and
any parallelism belongs to the worker.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

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
from cxbridge.crm.outcome import CrmWriteResult, MappingError

if TYPE_CHECKING:
    from collections.abc import Sequence

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
_ENTITY_ID = re.compile(r"\(([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\)$")


class DynamicsMapping(BaseModel):
    """Where and how outcomes land: configuration, not code.

    ``fields`` maps a column's logical name to a ``CrmOutcome`` attribute name. ``alternate_key`` is a
    single-column alternate key that gets the conversation id (its index must be Active).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity_set: str = Field(pattern=LOGICAL_NAME, examples=["cxb_calllogs"])
    alternate_key: str = Field(pattern=LOGICAL_NAME, examples=["cxb_conversationid"])
    fields: dict[str, str] = Field(default_factory=dict)
    # Lookup columns: a mapped column named here (``cxb_Contact@odata.bind``) is sent as ``/<entity set>(<id>)``.
    binds: dict[str, str] = Field(default_factory=dict, examples=[{"cxb_Contact@odata.bind": "contacts"}])

    @model_validator(mode="after")
    def _key_is_not_mapped(self) -> Self:
        if self.alternate_key in self.fields:
            raise ValueError("the alternate key carries the conversation id; it cannot be mapped")
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


class DynamicsSink:
    """Upserts outcomes as rows of one table, addressed by an alternate key holding the conversation id."""

    max_batch = 1  # records per request; see the module docstring

    def __init__(
        self,
        mapping: DynamicsMapping,
        org_url: str,
        tokens: TokenCache,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.mapping = mapping
        self._base = f"{org_url.rstrip('/')}/api/data/v{API_VERSION}/{mapping.entity_set}"
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)

    def write(self, outcomes: Sequence[CrmOutcome]) -> list[CrmWriteResult]:
        """One result per outcome, in order, one request each."""
        return [self._upsert(outcome) for outcome in outcomes]

    def _upsert(self, outcome: CrmOutcome) -> CrmWriteResult:
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
            url = f"{self._base}({self.mapping.alternate_key}={key_literal(cid)})"
        except ValueError:
            return CrmWriteResult(cid, WriteStatus.PERMANENT, reason="key:unsupported-character")
        try:
            response = self._http.request("PATCH", lambda _: url, json=row, headers=ODATA_HEADERS)
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
        return CrmWriteResult(
            cid,
            classify(response),
            parse_retry_after(response.headers.get("Retry-After")),
            _error_code(json_body(response)) or f"http:{response.status_code}",
        )
