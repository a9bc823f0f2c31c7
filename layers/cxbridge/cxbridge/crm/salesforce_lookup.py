"""``ContactDirectory`` for Salesforce: SOQL on a configured field, or SOSL in phone fields (facts 4.2-4.3).

``SELECT Id, <fields> FROM <object> WHERE <field> = '<value>' LIMIT 2`` for a customer id or an account
number; ``FIND {<phone>} IN PHONE FIELDS RETURNING <object>(Id, <fields>) LIMIT 2`` for a phone number.
Two rows are enough to know a match is ambiguous. The value is customer data: it goes in the URL of one
request and nowhere else (log lines carry the system, the status and the kind).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Self
from urllib.parse import urlencode

import requests
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cxbridge.core.http import DEFAULT_TIMEOUT_S, AuthorizedHttp, classify, json_body, log_response, transport_reason
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.crm.lookup import LookupKind, LookupUnsupported, from_matches
from cxbridge.crm.salesforce import API_NAME, SYSTEM, THROTTLE_CODES

if TYPE_CHECKING:
    from cxbridge.core.oauth import AccessToken, TokenCache
    from cxbridge.crm.lookup import LookupQuery, LookupResult

# An output name the assist route answers with beside ``status`` and ``recordId``.
OUTPUT_NAME = r"^[a-z][A-Za-z0-9]{0,39}$"
RESERVED_OUTPUTS = frozenset({"status", "recordId"})
# A field path: an API name, or a relationship's (``Account.Name``).
FIELD_PATH = r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$"
# SOSL's reserved characters, escaped with a backslash in a FIND term (Salesforce SOSL reference).
_SOSL_RESERVED = frozenset("?&|!{}[]()^~*:\\\"'+-")


class SalesforceLookup(BaseModel):
    """Which object and fields a lookup reads (the connection document's ``lookup``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    object: str = Field(default="Contact", pattern=API_NAME)
    customer_id_field: str | None = Field(default=None, pattern=API_NAME, examples=["CustomerId__c"])
    account_number_field: str | None = Field(default=None, pattern=API_NAME, examples=["AccountNumber__c"])
    phone_search: bool = True
    fields: dict[Annotated[str, Field(pattern=OUTPUT_NAME)], Annotated[str, Field(pattern=FIELD_PATH)]] = Field(
        default_factory=dict, examples=[{"name": "Name", "account": "Account.Name"}]
    )
    api_version: str = Field(default="66.0", pattern=r"^\d{2,3}\.0$")

    @model_validator(mode="after")
    def _outputs_are_not_reserved(self) -> Self:
        if RESERVED_OUTPUTS.intersection(self.fields):
            raise ValueError("status and recordId are the route's own outputs")
        return self


def soql_literal(value: str) -> str:
    """A SOQL string literal: backslashes and quotes escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def sosl_term(value: str) -> str:
    """A SOSL FIND term with its reserved characters escaped (``+1555`` becomes ``\\+1555``)."""
    return "".join(f"\\{c}" if c in _SOSL_RESERVED else c for c in value)


def _value_at(record: dict[str, Any], path: str) -> str | None:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return None if value is None or isinstance(value, dict | list) else str(value)


class SalesforceDirectory:
    """Looks customers up in one sObject."""

    def __init__(
        self,
        lookup: SalesforceLookup,
        tokens: TokenCache,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.lookup = lookup
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)
        self._select = ", ".join(["Id", *dict.fromkeys(lookup.fields.values())])

    def _statement(self, query: LookupQuery) -> tuple[str, str]:
        m = self.lookup
        field = {LookupKind.CUSTOMER_ID: m.customer_id_field, LookupKind.ACCOUNT_NUMBER: m.account_number_field}
        if query.kind is LookupKind.PHONE:
            if not m.phone_search:
                raise LookupUnsupported(query.kind)
            sosl = f"FIND {{{sosl_term(query.value)}}} IN PHONE FIELDS RETURNING {m.object}({self._select}) LIMIT 2"
            return "search", sosl
        name = field[query.kind]
        if name is None:
            raise LookupUnsupported(query.kind)
        where = f"{name} = {soql_literal(query.value)}"  # names are configuration (API_NAME), the value a literal
        return "query", f"SELECT {self._select} FROM {m.object} WHERE {where} LIMIT 2"  # noqa: S608

    def find(self, query: LookupQuery, timeout_s: float) -> LookupResult:
        resource, statement = self._statement(query)

        def url(token: AccessToken) -> str:
            if not token.instance_url:
                raise UpstreamFailure(WriteStatus.TRANSIENT, "token:no-instance-url")
            base = f"{token.instance_url}/services/data/v{self.lookup.api_version}"
            return f"{base}/{resource}/?{urlencode({'q': statement})}"

        try:
            response = self._http.request("GET", url, timeout_s=timeout_s)
        except requests.RequestException as exc:
            raise UpstreamFailure(classify(exc), transport_reason(exc)) from None
        log_response(SYSTEM, response, lookup=query.kind.value)
        body = json_body(response)
        if not response.ok:
            first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
            code = first.get("errorCode")
            status = WriteStatus.THROTTLED if code in THROTTLE_CODES else classify(response)
            raise UpstreamFailure(status, code if isinstance(code, str) else f"http:{response.status_code}")
        return from_matches([(record["Id"], self._fields(record)) for record in self._records(body)])

    @staticmethod
    def _records(body: Any) -> list[dict[str, Any]]:
        """``records`` of a query; a search answers ``{"searchRecords": [...]}`` (older versions a bare list)."""
        rows = body.get("records", body.get("searchRecords")) if isinstance(body, dict) else body
        if not isinstance(rows, list):
            raise UpstreamFailure(WriteStatus.TRANSIENT, "bad-response")
        return [row for row in rows if isinstance(row, dict) and isinstance(row.get("Id"), str)]

    def _fields(self, record: dict[str, Any]) -> dict[str, str]:
        values = {name: _value_at(record, path) for name, path in self.lookup.fields.items()}
        return {name: value for name, value in values.items() if value is not None}
