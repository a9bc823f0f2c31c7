"""A fake Salesforce org: client-credentials login on the My Domain host, sObject Collections upsert, a
SOQL query of one object (``SELECT … FROM … [WHERE f = 'v'] [LIMIT n]``), a SOSL search in phone fields
(``FIND {…} IN PHONE FIELDS RETURNING Object(fields) [LIMIT n]``), a record by external id, and
notes (``ContentNote`` create/update, ``ContentDocumentLink`` create; issue 17),
an object's ``describe`` (its fields with ``externalId``, ``unique``, ``createable``, ``updateable``).

Records are stored per object by external id, so an upsert of a known key updates it and never
creates a second record. Shapes follow the REST API: per-record results in request order with the
error key ``statusCode``; whole-request errors as ``[{"message", "errorCode"}]``.
"""

from __future__ import annotations

import base64
import copy
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET, Knobs, Reply, Request, Route, SandboxServer

if TYPE_CHECKING:
    from collections.abc import Sequence

MAX_RECORDS = 200
ORG_ID = "00D000000000001AAA"
INVALID_SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
# The SOQL the sandbox understands: SELECT fields FROM Object [WHERE Field = 'value'] [LIMIT n].
SOQL = re.compile(
    r"\s*SELECT\s+(?P<fields>\w+(?:\s*,\s*\w+)*)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<field>\w+)\s*=\s*'(?P<value>(?:[^'\\]|\\.)*)')?(?:\s+LIMIT\s+(?P<limit>\d+))?\s*",
    re.IGNORECASE,
)
# The SOSL the sandbox understands; "phone fields" are those whose name ends in Phone (Phone, MobilePhone).
SOSL = re.compile(
    r"\s*FIND\s+\{(?P<term>(?:[^}\\]|\\.)*)\}\s+IN\s+PHONE\s+FIELDS\s+RETURNING\s+(?P<object>\w+)"
    r"\((?P<fields>\w+(?:\s*,\s*\w+)*)\)(?:\s+LIMIT\s+(?P<limit>\d+))?\s*",
    re.IGNORECASE,
)
API = r"/services/data/v(?P<version>\d+\.\d)"


def describe_field(
    name: str, kind: str = "string", *, external_id: bool = False, writable: bool = True
) -> dict[str, Any]:
    """One entry of a describe's ``fields`` (the attributes ``cxbridge setup`` reads; the API sends more)."""
    return {
        "name": name,
        "label": name.removesuffix("__c").replace("_", " "),
        "type": kind,
        "custom": name.endswith("__c"),
        "externalId": external_id,
        "unique": external_id,
        "idLookup": external_id or name == "Id",
        "createable": writable,
        "updateable": writable,
        "nillable": name != "Id",
    }


# The demo org's call object: what the local stack's mapping (local/stack.py, cxbridge.example.yaml) names.
DEMO_SCHEMA: dict[str, list[dict[str, Any]]] = {
    "Call_Log__c": [
        describe_field("Id", "id", writable=False),
        describe_field("Name", writable=False),
        describe_field("CallReference__c", external_id=True),
        describe_field("Disposition__c"),
        describe_field("Duration_Seconds__c", "double"),
        describe_field("Agent__c"),
        describe_field("Queue__c"),
        describe_field("Call_Date__c", "date"),
        describe_field("CreatedDate", "datetime", writable=False),
    ]
}


@dataclass
class SalesforceKnobs(Knobs):
    """``required_fields``: a record without one of these fails with ``REQUIRED_FIELD_MISSING``.

    ``throttle_ratio`` answers 403 ``REQUEST_LIMIT_EXCEEDED`` or 503, half and half.
    """

    required_fields: list[str] = field(default_factory=list)


def _error(code: str, message: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"success": False, "errors": [{"statusCode": code, "message": message, "fields": fields or []}]}


class SalesforceSandbox(SandboxServer[SalesforceKnobs]):
    """Login at ``{url}/services/oauth2/token``; the API at the returned ``instance_url`` (the same server)."""

    def __init__(
        self,
        *,
        client_id: str = SANDBOX_CLIENT_ID,
        client_secret: str = SANDBOX_SECRET,
        knobs: SalesforceKnobs | None = None,
        schema: dict[str, list[dict[str, Any]]] | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.records: dict[str, dict[str, dict[str, Any]]] = {}  # object → external id → fields (with Id)
        self.schema = copy.deepcopy(DEMO_SCHEMA if schema is None else schema)  # object → describe fields
        self._next_id = 0
        self._api_calls = 0
        super().__init__(knobs or SalesforceKnobs(), seed=seed, host=host, port=port)

    def api_routes(self) -> Sequence[Route]:
        return [
            Route("POST", re.compile(r"/services/oauth2/token"), "token", self._token, "token"),
            Route(
                "PATCH", re.compile(API + r"/composite/sobjects/(?P<object>\w+)/(?P<field>\w+)"), "upsert", self._upsert
            ),
            Route("GET", re.compile(API + r"/query/?"), "query", self._query),
            # Notes (issue 17): ContentNote create / update, ContentDocumentLink create
            Route(
                "POST",
                re.compile(API + r"/sobjects/(?P<object>ContentNote|ContentDocumentLink)"),
                "create",
                self._create,
            ),
            Route("PATCH", re.compile(API + r"/sobjects/ContentNote/(?P<id>\w+)"), "note-update", self._update_note),
            Route(
                "PATCH",
                re.compile(API + r"/sobjects/(?P<object>\w+)/(?P<field>\w+)/(?P<value>[^/]+)"),
                "update",
                self._update_by_key,
            ),
            Route("GET", re.compile(API + r"/sobjects/(?P<object>\w+)/describe/?"), "describe", self._describe),
            Route("GET", re.compile(API + r"/search/?"), "search", self._search),
            Route(
                "GET",
                re.compile(API + r"/sobjects/(?P<object>\w+)/(?P<field>\w+)/(?P<value>[^/]+)"),
                "get",
                self._get_by_key,
            ),
        ]

    def throttle_reply(self) -> Reply:
        if self.rng.random() < 0.5:
            return Reply(403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}])
        return Reply(503, [{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}])

    def fail_reply(self) -> Reply:
        return Reply(500, [{"message": "An unexpected error occurred.", "errorCode": "UNKNOWN_EXCEPTION"}])

    def not_found(self, request: Request) -> Reply:
        return Reply(404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}])

    def extra_state(self) -> dict[str, Any]:
        return {"records": copy.deepcopy(self.records)}

    def _token(self, request: Request) -> Reply:
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return Reply(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
        return Reply(
            200,
            {
                "access_token": self.issue_token(f"{ORG_ID[:15]}!sandbox."),
                "signature": "c2FuZGJveA==",
                "scope": "api",
                "instance_url": self.url,
                "id": f"{self.url}/id/{ORG_ID}/005000000000001AAA",
                "token_type": "Bearer",
                "issued_at": str(int(time.time() * 1000)),
            },
        )

    def _upsert(self, request: Request) -> Reply:
        if not self.token_valid(request.bearer()):
            return Reply(401, INVALID_SESSION)
        try:
            body = request.json()
        except ValueError:
            return Reply(400, [{"message": "Unexpected character", "errorCode": "JSON_PARSER_ERROR"}])
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list):
            return Reply(400, [{"message": "records must be a list", "errorCode": "INVALID_FIELD"}])
        if len(records) > MAX_RECORDS:
            message = f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call"
            return Reply(400, [{"message": message, "errorCode": "EXCEEDED_ID_LIMIT"}])
        obj, key_field = request.params["object"], request.params["field"]
        keys = Counter(r.get(key_field) for r in records if isinstance(r, dict))
        results = [self._upsert_one(obj, key_field, record, keys) for record in records]
        self._api_calls += 1
        return Reply(200, results, {"Sforce-Limit-Info": f"api-usage={self._api_calls}/15000"})

    def _query(self, request: Request) -> Reply:
        """``GET …/query?q=SELECT … FROM … [WHERE f = 'v'] [LIMIT n]``: the REST query shape, one page."""
        if not self.token_valid(request.bearer()):
            return Reply(401, INVALID_SESSION)
        match = SOQL.fullmatch((request.query.get("q") or [""])[-1])
        if match is None:
            message = "the sandbox understands SELECT fields FROM Object [WHERE Field = 'value'] [LIMIT n]"
            return Reply(400, [{"message": message, "errorCode": "MALFORMED_QUERY"}])
        obj, fields = match["object"], [f.strip() for f in match["fields"].split(",")]
        rows = list(self.records.get(obj, {}).values())
        if match["field"]:
            wanted = re.sub(r"\\(.)", r"\1", match["value"])
            rows = [r for r in rows if str(r.get(match["field"])) == wanted]
        if match["limit"]:
            rows = rows[: int(match["limit"])]
        version = request.params["version"]
        records = [{**self._attributes(obj, r, version), **{f: r.get(f) for f in fields}} for r in rows]
        self._api_calls += 1
        return Reply(200, {"totalSize": len(records), "done": True, "records": records})

    def _describe(self, request: Request) -> Reply:
        """``GET …/sobjects/{object}/describe``: the object's name, its abilities and its fields."""
        if not self.token_valid(request.bearer()):
            return Reply(401, INVALID_SESSION)
        obj = request.params["object"]
        fields = self.schema.get(obj)
        self._api_calls += 1
        if fields is None:
            message = f"The requested resource does not exist: sObject type '{obj}' is not supported."
            return Reply(404, [{"message": message, "errorCode": "NOT_FOUND"}])
        abilities = {"createable": True, "updateable": True, "queryable": True, "custom": obj.endswith("__c")}
        return Reply(
            200, {"name": obj, "label": obj.removesuffix("__c").replace("_", " "), **abilities, "fields": fields}
        )

    def _search(self, request: Request) -> Reply:
        """``GET …/search?q=FIND {…} IN PHONE FIELDS RETURNING Object(fields) [LIMIT n]``: ``searchRecords``."""
        if not self.token_valid(request.bearer()):
            return Reply(401, INVALID_SESSION)
        match = SOSL.fullmatch((request.query.get("q") or [""])[-1])
        if match is None:
            message = "the sandbox understands FIND {term} IN PHONE FIELDS RETURNING Object(fields) [LIMIT n]"
            return Reply(400, [{"message": message, "errorCode": "MALFORMED_SEARCH"}])
        obj, fields = match["object"], [f.strip() for f in match["fields"].split(",")]
        term = re.sub(r"\\(.)", r"\1", match["term"])
        rows = [
            r
            for r in self.records.get(obj, {}).values()
            if any(name.endswith("Phone") and str(value) == term for name, value in r.items())
        ]
        if match["limit"]:
            rows = rows[: int(match["limit"])]
        version = request.params["version"]
        records = [{**self._attributes(obj, r, version), **{f: r.get(f) for f in fields}} for r in rows]
        self._api_calls += 1
        return Reply(200, {"searchRecords": records})

    def _get_by_key(self, request: Request) -> Reply:
        """``GET …/sobjects/{object}/{externalIdField}/{value}``: one record with all its fields."""
        if not self.token_valid(request.bearer()):
            return Reply(401, INVALID_SESSION)
        obj, key_field, value = request.params["object"], request.params["field"], unquote(request.params["value"])
        found = next((r for r in self.records.get(obj, {}).values() if str(r.get(key_field)) == value), None)
        self._api_calls += 1
        if found is None:
            return self.not_found(request)
        return Reply(200, {**self._attributes(obj, found, request.params["version"]), **found})

    def _create(self, request: Request) -> Reply:
        """``POST …/sobjects/{ContentNote|ContentDocumentLink}``: ``201 {"id", "success", "errors"}``.

        Records are kept by their Id. A second link of one document to one record fails as Salesforce's does.
        """
        if not self.token_valid(request.bearer()):
            return Reply(401, INVALID_SESSION)
        try:
            body = request.json()
        except ValueError:
            return Reply(400, [{"message": "Unexpected character", "errorCode": "JSON_PARSER_ERROR"}])
        obj = request.params["object"]
        required = ("Title", "Content") if obj == "ContentNote" else ("ContentDocumentId", "LinkedEntityId")
        if not isinstance(body, dict) or any(not body.get(f) for f in required):
            return Reply(
                400,
                [{"message": f"Required fields are missing: {list(required)}", "errorCode": "REQUIRED_FIELD_MISSING"}],
            )
        stored = self.records.setdefault(obj, {})
        if obj == "ContentDocumentLink" and any(
            r["ContentDocumentId"] == body["ContentDocumentId"] and r["LinkedEntityId"] == body["LinkedEntityId"]
            for r in stored.values()
        ):
            return Reply(400, [{"message": "already linked", "errorCode": "DUPLICATE_VALUE"}])
        self._next_id += 1
        record_id = f"{'069' if obj == 'ContentNote' else '06A'}{self._next_id:012d}AAA"
        stored[record_id] = {"Id": record_id, **body}
        self._api_calls += 1
        return Reply(201, {"id": record_id, "success": True, "errors": []})

    def _update_note(self, request: Request) -> Reply:
        """``PATCH …/sobjects/ContentNote/{id}``: only ``Title`` and ``Content`` are updatable; 204."""
        if not self.token_valid(request.bearer()):
            return Reply(401, INVALID_SESSION)
        note = self.records.get("ContentNote", {}).get(request.params["id"])
        if note is None:
            return self.not_found(request)
        body = request.json()
        if not isinstance(body, dict) or set(body) - {"Title", "Content"}:
            return Reply(400, [{"message": "only Title and Content are updatable", "errorCode": "INVALID_FIELD"}])
        note.update(body)
        self._api_calls += 1
        return Reply(204)

    def _update_by_key(self, request: Request) -> Reply:
        """``PATCH …/sobjects/{object}/{externalIdField}/{value}?updateOnly=true``: 204, or 404 when absent."""
        if not self.token_valid(request.bearer()):
            return Reply(401, INVALID_SESSION)
        obj, key_field, value = request.params["object"], request.params["field"], unquote(request.params["value"])
        found = next((r for r in self.records.get(obj, {}).values() if str(r.get(key_field)) == value), None)
        body = request.json()
        if found is None or not isinstance(body, dict):
            return self.not_found(request)
        found.update(body)
        self._api_calls += 1
        return Reply(204)

    def notes(self) -> dict[str, str]:
        """The text of every ContentNote (decoded from its base64 HTML), by the record it is linked to."""
        with self.lock:
            notes = self.records.get("ContentNote", {})
            links = list(self.records.get("ContentDocumentLink", {}).values())
            return {
                str(link["LinkedEntityId"]): base64.b64decode(notes[link["ContentDocumentId"]]["Content"]).decode()
                for link in links
                if link["ContentDocumentId"] in notes
            }

    @staticmethod
    def _attributes(obj: str, record: dict[str, Any], version: str) -> dict[str, Any]:
        return {"attributes": {"type": obj, "url": f"/services/data/v{version}/sobjects/{obj}/{record['Id']}"}}

    def _upsert_one(self, obj: str, key_field: str, record: Any, keys: Counter[Any]) -> dict[str, Any]:
        if not isinstance(record, dict) or (record.get("attributes") or {}).get("type") != obj:
            return _error("INVALID_TYPE", f"each record needs attributes.type {obj}")
        key = record.get(key_field)
        if not isinstance(key, str) or not key:
            return _error("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{key_field}]", [key_field])
        if keys[key] > 1:
            return _error("DUPLICATE_EXTERNAL_ID", f"Duplicate external id specified: {key}", [key_field])
        missing = [name for name in self.knobs.required_fields if record.get(name) in (None, "")]
        if missing:
            return _error("REQUIRED_FIELD_MISSING", f"Required fields are missing: {missing}", missing)
        values = {k: v for k, v in record.items() if k != "attributes"}
        stored = self.records.setdefault(obj, {})
        existing = stored.get(key)
        if existing is not None:
            existing.update(values)
            return {"id": existing["Id"], "success": True, "errors": [], "created": False}
        self._next_id += 1
        record_id = f"a00{self._next_id:012d}AAA"
        stored[key] = {"Id": record_id, **values}
        return {"id": record_id, "success": True, "errors": [], "created": True}
