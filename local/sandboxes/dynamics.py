"""A fake Entra ID token endpoint and Dataverse Web API (v9.2) upsert by alternate key.

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
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.rows: dict[str, dict[str, dict[str, Any]]] = {}  # entity set → "key=value" → columns (with the id)
        self.last_odata_headers: dict[str, str | None] = {}
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
