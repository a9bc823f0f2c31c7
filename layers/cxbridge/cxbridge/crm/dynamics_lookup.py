"""``ContactDirectory`` for Dataverse: ``$filter`` on a configured column (Web API v9.2).

``GET {org}/api/data/v9.2/<entity set>?$select=<id>,<columns>&$filter=<column> eq '<value>'&$top=2``; a
phone number is compared with each configured phone column (``or``). Dataverse compares phone columns as
text, so a number matches only if the CRM stores it in E.164 (unconfirmed whether a deployment does:
decisions.md, issue 18). The value goes in the URL of one request and nowhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Self
from urllib.parse import quote, urlencode

import requests
from pydantic import BaseModel, ConfigDict, Field, model_validator

from cxbridge.core.http import DEFAULT_TIMEOUT_S, AuthorizedHttp, classify, json_body, log_response, transport_reason
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.crm.dynamics import API_VERSION, LOGICAL_NAME, ODATA_HEADERS, SYSTEM
from cxbridge.crm.lookup import LookupKind, LookupUnsupported, from_matches
from cxbridge.crm.salesforce_lookup import OUTPUT_NAME, RESERVED_OUTPUTS

if TYPE_CHECKING:
    from cxbridge.core.oauth import AccessToken, TokenCache
    from cxbridge.crm.lookup import LookupQuery, LookupResult


class DynamicsLookup(BaseModel):
    """Which table and columns a lookup reads (the connection document's ``lookup``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    entity_set: str = Field(default="contacts", pattern=LOGICAL_NAME)
    id_column: str = Field(default="contactid", pattern=LOGICAL_NAME)
    customer_id_column: str | None = Field(default=None, pattern=LOGICAL_NAME, examples=["cxb_customerid"])
    account_number_column: str | None = Field(default=None, pattern=LOGICAL_NAME, examples=["cxb_accountnumber"])
    phone_columns: list[Annotated[str, Field(pattern=LOGICAL_NAME)]] = Field(
        default_factory=lambda: ["telephone1", "mobilephone"]
    )
    fields: dict[Annotated[str, Field(pattern=OUTPUT_NAME)], Annotated[str, Field(pattern=LOGICAL_NAME)]] = Field(
        default_factory=dict, examples=[{"name": "fullname"}]
    )

    @model_validator(mode="after")
    def _outputs_are_not_reserved(self) -> Self:
        if RESERVED_OUTPUTS.intersection(self.fields):
            raise ValueError("status and recordId are the route's own outputs")
        return self


def odata_literal(value: str) -> str:
    """An OData string literal: quotes doubled (the query string is percent-encoded as a whole)."""
    return "'" + value.replace("'", "''") + "'"


class DynamicsDirectory:
    """Looks customers up in one Dataverse table."""

    def __init__(
        self,
        lookup: DynamicsLookup,
        org_url: str,
        tokens: TokenCache,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.lookup = lookup
        self._base = f"{org_url.rstrip('/')}/api/data/v{API_VERSION}/{lookup.entity_set}"
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)
        self._select = ",".join(dict.fromkeys([lookup.id_column, *lookup.fields.values()]))

    def _filter(self, query: LookupQuery) -> str:
        m = self.lookup
        columns = {
            LookupKind.CUSTOMER_ID: [m.customer_id_column] if m.customer_id_column else [],
            LookupKind.ACCOUNT_NUMBER: [m.account_number_column] if m.account_number_column else [],
            LookupKind.PHONE: m.phone_columns,
        }[query.kind]
        if not columns:
            raise LookupUnsupported(query.kind)
        literal = odata_literal(query.value)
        return " or ".join(f"{column} eq {literal}" for column in columns)

    def find(self, query: LookupQuery, timeout_s: float) -> LookupResult:
        params = {"$select": self._select, "$filter": self._filter(query), "$top": "2"}
        target = f"{self._base}?{urlencode(params, quote_via=quote, safe='$,')}"

        def url(_token: AccessToken) -> str:
            return target

        try:
            response = self._http.request("GET", url, headers=ODATA_HEADERS, timeout_s=timeout_s)
        except requests.RequestException as exc:
            raise UpstreamFailure(classify(exc), transport_reason(exc)) from None
        log_response(SYSTEM, response, lookup=query.kind.value)
        if not response.ok:
            raise UpstreamFailure(classify(response), f"http:{response.status_code}")
        body = json_body(response)
        rows = body.get("value") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise UpstreamFailure(WriteStatus.TRANSIENT, "bad-response")
        matches = [
            (str(row[self.lookup.id_column]), self._fields(row))
            for row in rows
            if isinstance(row, dict) and row.get(self.lookup.id_column)
        ]
        return from_matches(matches)

    def _fields(self, row: dict[str, Any]) -> dict[str, str]:
        values = {name: row.get(column) for name, column in self.lookup.fields.items()}
        return {name: str(value) for name, value in values.items() if value is not None}
