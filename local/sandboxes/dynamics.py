"""A fake Entra ID token endpoint and Dataverse Web API (v9.2) upsert by alternate key, and the table
definitions (``EntityDefinitions`` with its ``Attributes`` and ``Keys``) ``cxbridge setup`` reads.

``PATCH /api/data/v9.2/<entity set>(<key>='<value>')`` creates the row or updates it and answers 204
with an ``OData-EntityId`` header either way; errors are ``{"error": {"code": "0x...", "message": ...}}``.
Throttling is a 429 with ``Retry-After`` in seconds, like the service protection limits.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET, Knobs, Reply, Request, Route, SandboxServer

if TYPE_CHECKING:
    from collections.abc import Sequence

QUERY_SYNTAX_ERROR = "0x80060888"
# One key=value pair; the value is an OData string literal in which a quote is written twice.
_KEY = re.compile(r"(?P<name>[A-Za-z_]\w*)='(?P<value>(?:[^']|'')*)'")
_FORBIDDEN = frozenset("/<>*%&:\\?")
ODATA_HEADERS = ("Accept", "OData-MaxVersion", "OData-Version", "Content-Type")


@dataclass
class DynamicsKnobs(Knobs):
    """``retry_after_s``: the ``Retry-After`` of a throttled answer; ``columns``: when set, any other
    column is refused with 400, as Dataverse refuses an unknown property."""

    retry_after_s: int = 5
    columns: list[str] | None = None


_ENTITY_SET_FILTER = re.compile(r"EntitySetName eq '(?P<name>\w+)'")


def table_definition(logical_name: str, entity_set: str, key_column: str, columns: Sequence[str]) -> dict[str, Any]:
    """An ``EntityDefinitions`` entry with the attributes setup reads: a writable column each, one Active key."""
    attributes = [
        {"LogicalName": f"{logical_name}id", "IsValidForCreate": True, "IsValidForUpdate": False},
        *({"LogicalName": c, "IsValidForCreate": True, "IsValidForUpdate": True} for c in (key_column, *columns)),
        {"LogicalName": "createdon", "IsValidForCreate": False, "IsValidForUpdate": False},
    ]
    key = {"LogicalName": f"{key_column}_key", "KeyAttributes": [key_column], "EntityKeyIndexStatus": "Active"}
    return {"LogicalName": logical_name, "EntitySetName": entity_set, "Attributes": attributes, "Keys": [key]}


# The demo table: what docs/setup/dynamics.md creates and the README's example mapping names.
DEMO_TABLES = [
    table_definition("new_calllog", "new_calllogs", "new_callreference", ["new_disposition", "new_duration"])
]


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"error": {"code": code, "message": message}}, headers or {})


class DynamicsSandbox(SandboxServer[DynamicsKnobs]):
    """Both the login host (``{url}/<tenant>/oauth2/v2.0/token``) and the org (``{url}/api/data/v9.2``)."""

    def __init__(
        self,
        *,
        tenant_id: str = "sandbox-tenant",
        client_id: str = SANDBOX_CLIENT_ID,
        client_secret: str = SANDBOX_SECRET,
        knobs: DynamicsKnobs | None = None,
        tables: Sequence[dict[str, Any]] | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}  # entity set → "key=value" → columns (with the id)
        self.last_odata_headers: dict[str, str | None] = {}
        self.tables = copy.deepcopy(list(DEMO_TABLES if tables is None else tables))  # EntityDefinitions
        self._next_id = 0
        super().__init__(knobs or DynamicsKnobs(), seed=seed, host=host, port=port)

    def api_routes(self) -> Sequence[Route]:
        return [
            Route("POST", re.compile(r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token"), "token", self._token, "token"),
            Route("PATCH", re.compile(r"/api/data/v9\.2/(?P<entity_set>\w+)\((?P<key>.*)\)"), "upsert", self._upsert),
            Route("GET", re.compile(r"/api/data/v9\.2/EntityDefinitions"), "entity_definitions", self._definitions),
        ]

    def throttle_reply(self) -> Reply:
        message = "Number of requests exceeded the limit of 6000 over time window of 300 seconds."
        return _error(429, "0x80072322", message, {"Retry-After": str(self.knobs.retry_after_s)})

    def fail_reply(self) -> Reply:
        return _error(500, "0x80040216", "An unexpected error occurred.")

    def extra_state(self) -> dict[str, Any]:
        return {"rows": copy.deepcopy(self.rows), "last_odata_headers": dict(self.last_odata_headers)}

    def _token(self, request: Request) -> Reply:
        form = request.form()
        if request.params["tenant"] != self.tenant_id:
            return Reply(400, {"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found."})
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Reply(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."})
        if form.get("grant_type") != "client_credentials" or not form.get("scope", "").endswith("/.default"):
            return Reply(400, {"error": "invalid_scope", "error_description": "AADSTS1002012: scope is not valid."})
        token = self.issue_token("eyJ0eXAiOiJKV1Qi.sandbox.")
        return Reply(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token})

    def _columns(self, request: Request) -> tuple[dict[str, Any], str | None]:
        """The row's columns, or why the body cannot be taken."""
        try:
            columns = request.json()
        except ValueError:
            return {}, "The request body is not valid JSON."
        if not isinstance(columns, dict):
            return {}, "The request body must be a JSON object."
        allowed = self.knobs.columns
        unknown = sorted(set(columns) - set(allowed)) if allowed is not None else []
        if unknown:
            return {}, f"Invalid property '{unknown[0]}' was found."
        return columns, None

    def _definitions(self, request: Request) -> Reply:
        """``GET …/EntityDefinitions?$filter=EntitySetName eq '<set>'``: ``{"value": [table]}`` (empty when none)."""
        if not self.token_valid(request.bearer()):
            return _error(401, "", "The user is not authenticated.")
        wanted = _ENTITY_SET_FILTER.fullmatch((request.query.get("$filter") or [""])[-1])
        if wanted is None:
            return _error(400, QUERY_SYNTAX_ERROR, "the sandbox filters on EntitySetName eq '<entity set>' only")
        found = [t for t in self.tables if t["EntitySetName"] == wanted["name"]]
        context = f"{self.url}/api/data/v9.2/$metadata#EntityDefinitions"
        return Reply(200, {"@odata.context": context, "value": copy.deepcopy(found)})

    def _upsert(self, request: Request) -> Reply:
        self.last_odata_headers = {name: request.headers.get(name) for name in ODATA_HEADERS}
        if not self.token_valid(request.bearer()):
            return _error(
                401, "", "The user is not authenticated.", {"WWW-Authenticate": 'Bearer error="invalid_token"'}
            )
        key = _KEY.fullmatch(unquote(request.params["key"]))
        value = key.group("value").replace("''", "'") if key else ""
        if key is None or _FORBIDDEN.intersection(value):
            return _error(400, QUERY_SYNTAX_ERROR, "Bad Request - Error in query syntax.")
        columns, problem = self._columns(request)
        if problem is not None:
            return _error(400, QUERY_SYNTAX_ERROR, problem)
        entity_set = request.params["entity_set"]
        table = self.rows.setdefault(entity_set, {})
        row_key = f"{key.group('name')}={value}"
        row = table.get(row_key)
        if row is None:
            self._next_id += 1
            row = table[row_key] = {"id": str(uuid.UUID(int=self._next_id)), key.group("name"): value}
        row.update(columns)
        return Reply(204, headers={"OData-EntityId": f"{self.url}/api/data/v9.2/{entity_set}({row['id']})"})
