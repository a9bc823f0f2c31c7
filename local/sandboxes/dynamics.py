"""A fake Entra ID token endpoint and Dataverse Web API (v9.2): upsert by alternate key, one or many, and
the table definitions (``EntityDefinitions`` with its ``Attributes`` and ``Keys``) ``cxbridge setup`` reads.

``PATCH /api/data/v9.2/<entity set>(<key>='<value>')`` creates the row or updates it and answers 204
with an ``OData-EntityId`` header either way; errors are ``{"error": {"code": "0x...", "message": ...}}``.
``POST /api/data/v9.2/<entity set>/Microsoft.Dynamics.CRM.UpsertMultiple`` takes ``{"Targets": [...]}``,
each with ``@odata.type`` and ``@odata.id``, and answers 204 with no body; like a standard table, one bad
target (an unknown column, a bad key, a key in ``reject_keys``) rolls the whole request back and the
error names that target's index. ``GET /api/data/v9.2/sdkmessagefilters`` answers whether a table takes
UpsertMultiple (``bulk_tables``). Throttling is a 429 with ``Retry-After`` in seconds, like the service
protection limits.
``GET /api/data/v9.2/<entity set>?$select=…&$filter=<col> eq '<v>' [or <col> eq '<v>' …]&$top=n`` answers
``{"value": [rows]}`` (the ``$filter`` the lookups send; other filters are refused).
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET, Knobs, Reply, Request, Route, SandboxServer

if TYPE_CHECKING:
    from collections.abc import Sequence

QUERY_SYNTAX_ERROR = "0x80060888"
VALIDATION_ERROR = "0x80040265"  # what a plug-in's InvalidPluginExecutionException answers
_TYPE = re.compile(r"Microsoft\.Dynamics\.CRM\.(?P<table>[A-Za-z_]\w*)")
_ODATA_ID = re.compile(r"(?P<entity_set>[A-Za-z_]\w*)\((?P<key>.*)\)")
_FILTER_TABLE = re.compile(r"primaryobjecttypecode eq '(?P<table>\w+)'")
# One key=value pair; the value is an OData string literal in which a quote is written twice.
_KEY = re.compile(r"(?P<name>[A-Za-z_]\w*)='(?P<value>(?:[^']|'')*)'")
_FORBIDDEN = frozenset("/<>*%&:\\?")
# The $filter the sandbox understands: equality on columns, joined by "or".
_EQUALS = re.compile(r"(?P<name>[A-Za-z_]\w*) eq '(?P<value>(?:[^']|'')*)'")
_FILTER = re.compile(r"[A-Za-z_]\w* eq '(?:[^']|'')*'(?: or [A-Za-z_]\w* eq '(?:[^']|'')*')*")
ODATA_HEADERS = ("Accept", "OData-MaxVersion", "OData-Version", "Content-Type")


@dataclass
class DynamicsKnobs(Knobs):
    """``retry_after_s``: the ``Retry-After`` of a throttled answer; ``columns``: when set, any other
    column is refused with 400, as Dataverse refuses an unknown property; ``bulk_tables`` and
    ``reject_keys``: see the module docstring."""

    retry_after_s: int = 5
    columns: list[str] | None = None
    bulk_tables: list[str] | None = None  # logical names with an UpsertMultiple filter; None: every table
    reject_keys: list[str] = field(default_factory=list)  # key values refused with 400 (a plug-in's check)


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
            # Notes (issue 17): an annotation upserted by its own id, bound to a row by its alternate key.
            Route(
                "PATCH", re.compile(r"/api/data/v9\.2/annotations\((?P<id>[0-9a-f-]{36})\)"), "annotation", self._note
            ),
            Route("PATCH", re.compile(r"/api/data/v9\.2/(?P<entity_set>\w+)\((?P<key>.*)\)"), "upsert", self._upsert),
            Route(
                "POST",
                re.compile(r"/api/data/v9\.2/(?P<entity_set>\w+)/Microsoft\.Dynamics\.CRM\.UpsertMultiple"),
                "upsert_multiple",
                self._upsert_multiple,
            ),
            Route("GET", re.compile(r"/api/data/v9\.2/sdkmessagefilters"), "message_filters", self._message_filters),
            Route("GET", re.compile(r"/api/data/v9\.2/EntityDefinitions"), "entity_definitions", self._definitions),
            Route("GET", re.compile(r"/api/data/v9\.2/(?P<entity_set>\w+)"), "query", self._query),
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

    def _columns(self, columns: Any) -> str | None:
        """Why a row's columns cannot be taken, if they cannot."""
        if not isinstance(columns, dict):
            return "The request body must be a JSON object."
        allowed = self.knobs.columns
        unknown = sorted(set(columns) - set(allowed)) if allowed is not None else []
        if unknown:
            return f"Invalid property '{unknown[0]}' was found."
        return None

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

    def _note(self, request: Request) -> Reply:
        """``PATCH annotations(<id>)``: create or replace the note; its ``objectid_<table>@odata.bind`` must
        name an existing row (``/<entity set>(<key>='<value>')``), else 404 as for any missing record."""
        if not self.token_valid(request.bearer()):
            return _error(401, "", "The user is not authenticated.")
        body = request.json()
        body = body if isinstance(body, dict) else {}
        binds = {k: v for k, v in body.items() if k.startswith("objectid_") and k.endswith("@odata.bind")}
        if len(binds) != 1 or not body.get("notetext"):
            return _error(400, QUERY_SYNTAX_ERROR, "an annotation needs notetext and one objectid_<table> binding")
        target = re.fullmatch(r"/(?P<entity_set>\w+)\((?P<key>.*)\)", next(iter(binds.values())))
        key = _KEY.fullmatch(target.group("key")) if target else None
        if target is None or key is None:
            return _error(400, QUERY_SYNTAX_ERROR, "Bad Request - Error in query syntax.")
        row_key = f"{key.group('name')}={key.group('value').replace(chr(39) * 2, chr(39))}"
        if row_key not in self.rows.get(target.group("entity_set"), {}):
            return _error(404, "0x80040217", "The record bound to the annotation does not exist.")
        notes = self.rows.setdefault("annotations", {})
        notes[request.params["id"]] = {"annotationid": request.params["id"], **body}
        return Reply(204, headers={"OData-EntityId": f"{self.url}/api/data/v9.2/annotations({request.params['id']})"})

    def _key(self, raw: str) -> tuple[str, str] | None:
        """The key's name and value from ``name='value'`` (percent-encoded), or None if it is no key."""
        key = _KEY.fullmatch(unquote(raw))
        value = key.group("value").replace("''", "'") if key else ""
        if key is None or _FORBIDDEN.intersection(value):
            return None
        return key.group("name"), value

    def _unauthenticated(self, request: Request) -> Reply | None:
        self.last_odata_headers = {name: request.headers.get(name) for name in ODATA_HEADERS}
        if self.token_valid(request.bearer()):
            return None
        return _error(401, "", "The user is not authenticated.", {"WWW-Authenticate": 'Bearer error="invalid_token"'})

    def _store(self, entity_set: str, key: tuple[str, str], columns: dict[str, Any]) -> dict[str, Any]:
        table = self.rows.setdefault(entity_set, {})
        row_key = f"{key[0]}={key[1]}"
        row = table.get(row_key)
        if row is None:
            self._next_id += 1
            row = table[row_key] = {"id": str(uuid.UUID(int=self._next_id)), key[0]: key[1]}
        row.update(columns)
        return row

    def _upsert(self, request: Request) -> Reply:
        if (refused := self._unauthenticated(request)) is not None:
            return refused
        key = self._key(request.params["key"])
        if key is None:
            return _error(400, QUERY_SYNTAX_ERROR, "Bad Request - Error in query syntax.")
        try:
            columns = request.json()
        except ValueError:
            return _error(400, QUERY_SYNTAX_ERROR, "The request body is not valid JSON.")
        if (problem := self._columns(columns)) is not None:
            return _error(400, QUERY_SYNTAX_ERROR, problem)
        if key[1] in self.knobs.reject_keys:
            return _error(400, VALIDATION_ERROR, "The record was refused by a plug-in.")
        entity_set = request.params["entity_set"]
        row = self._store(entity_set, key, columns)
        return Reply(204, headers={"OData-EntityId": f"{self.url}/api/data/v9.2/{entity_set}({row['id']})"})

    def _target(self, entity_set: str, target: Any) -> tuple[tuple[str, str], dict[str, Any]] | Reply:
        """A target's key and columns, or the error that refuses it."""
        if not isinstance(target, dict):
            return _error(400, QUERY_SYNTAX_ERROR, "A target must be a JSON object.")
        kind = _TYPE.fullmatch(str(target.get("@odata.type", "")))
        odata_id = _ODATA_ID.fullmatch(str(target.get("@odata.id", "")))
        if kind is None or odata_id is None or odata_id.group("entity_set") != entity_set:
            return _error(400, QUERY_SYNTAX_ERROR, "A target needs @odata.type and an @odata.id in this entity set.")
        key = self._key(odata_id.group("key"))
        if key is None:
            return _error(400, QUERY_SYNTAX_ERROR, "Bad Request - Error in query syntax.")
        columns = {name: value for name, value in target.items() if not name.startswith("@odata.")}
        if (problem := self._columns({n: v for n, v in columns.items() if n != key[0]})) is not None:
            return _error(400, QUERY_SYNTAX_ERROR, problem)
        if key[1] in self.knobs.reject_keys:
            return _error(400, VALIDATION_ERROR, "The record was refused by a plug-in.")
        return key, columns

    def _upsert_multiple(self, request: Request) -> Reply:
        if (refused := self._unauthenticated(request)) is not None:
            return refused
        try:
            body = request.json()
        except ValueError:
            return _error(400, QUERY_SYNTAX_ERROR, "The request body is not valid JSON.")
        targets = body.get("Targets") if isinstance(body, dict) else None
        if not isinstance(targets, list) or not targets:
            return _error(400, QUERY_SYNTAX_ERROR, "Targets must be a non-empty array.")
        entity_set = request.params["entity_set"]
        checked = []
        for target in targets:
            answer = self._target(entity_set, target)
            if isinstance(answer, Reply):  # a standard table: one bad target rolls back every one
                return answer
            checked.append(answer)
        for key, columns in checked:
            self._store(entity_set, key, columns)
        return Reply(204)

    def _message_filters(self, request: Request) -> Reply:
        if (refused := self._unauthenticated(request)) is not None:
            return refused
        asked = _FILTER_TABLE.search((request.query.get("$filter") or [""])[-1])
        if asked is None or "'UpsertMultiple'" not in (request.query.get("$filter") or [""])[-1]:
            return _error(400, QUERY_SYNTAX_ERROR, "Bad Request - Error in query syntax.")
        tables = self.knobs.bulk_tables
        takes = tables is None or asked.group("table") in tables
        return Reply(200, {"value": [{"sdkmessagefilterid": str(uuid.UUID(int=1))}] if takes else []})

    def _query(self, request: Request) -> Reply:
        """Rows of one entity set that match an equality ``$filter``, with the ``$select`` columns."""
        if not self.token_valid(request.bearer()):
            return _error(401, "", "The user is not authenticated.")
        text = (request.query.get("$filter") or [""])[-1]
        if _FILTER.fullmatch(text) is None:
            return _error(400, QUERY_SYNTAX_ERROR, "The sandbox understands col eq 'v' [or col eq 'v' ...].")
        wanted = [(m["name"], m["value"].replace("''", "'")) for m in _EQUALS.finditer(text)]
        select = [c for c in (request.query.get("$select") or [""])[-1].split(",") if c]
        top = int((request.query.get("$top") or ["5000"])[-1])
        rows = [
            row
            for row in self.rows.get(request.params["entity_set"], {}).values()
            if any(str(row.get(name)) == value for name, value in wanted)
        ][:top]
        return Reply(200, {"value": [{c: row.get(c) for c in select} if select else dict(row) for row in rows]})
