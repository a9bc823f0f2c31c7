"""Genesys Cloud Task Management inside the Genesys fake: a stateful store of workitems.

Speaks the real shapes: ``WorkitemCreate`` / ``WorkitemUpdate`` bodies (an unknown field is a 400, so a
client that invents a field fails here first), ``Workitem`` answers with reference objects (``queue``,
``status``, ...), and ``POST …/workitems/query`` with its rule of at least one EQ filter on ``typeId``,
``queueId``, ``workbinId`` or ``assigneeId`` and at most three filters. ``task_throttle_next`` (a knob of
the Genesys fake) makes the next N Task Management requests answer 429 with ``Retry-After``.

``agent_update`` changes a workitem as an agent or Genesys would (assign, close), and ``topic_event``
renders a ``v2.taskmanagement.workitems.{id}`` event body (ids flattened, dates as strings) to post to
the events endpoint.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from local.sandboxes.base import Reply, Request, Route

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from local.sandboxes.genesys import GenesysSandbox

PATH = "/api/v2/taskmanagement/workitems"
PRIORITY_LIMIT = 25_000_000
MAX_AHEAD = timedelta(days=365)
CREATE_FIELDS = frozenset(
    {
        "name",
        "priority",
        "dateDue",
        "dateExpires",
        "durationSeconds",
        "ttl",
        "statusId",
        "workbinId",
        "autoStatusTransition",
        "description",
        "typeId",
        "customFields",
        "queueId",
        "assigneeId",
        "languageId",
        "externalContactId",
        "externalTag",
        "skillIds",
        "scriptId",
        "wrapupCode",
        "utilizationLabelId",
        "scoredAgents",
        "preferredAgentIds",
    }
)
UPDATE_FIELDS = (CREATE_FIELDS - {"typeId", "wrapupCode"}) | {"dateClosed", "assignmentState", "assignmentOperation"}
QUERY_KEY_FILTERS = frozenset({"workbinId", "assigneeId", "queueId", "typeId"})
# Filter name → where the value sits in a stored workitem.
_FILTER_PATHS: Mapping[str, tuple[str, ...]] = {
    "typeId": ("type", "id"),
    "queueId": ("queue", "id"),
    "workbinId": ("workbin", "id"),
    "assigneeId": ("assignee", "id"),
    "statusId": ("status", "id"),
    "externalTag": ("externalTag",),
    "statusCategory": ("statusCategory",),
}
# Request field → the reference object the ``Workitem`` answer carries instead.
_REFERENCES = {
    "queueId": "queue",
    "workbinId": "workbin",
    "assigneeId": "assignee",
    "statusId": "status",
    "externalContactId": "externalContact",
    "languageId": "language",
    "scriptId": "script",
    "utilizationLabelId": "utilizationLabel",
}
_LIST_REFERENCES = {"skillIds": "skills", "preferredAgentIds": "preferredAgents"}


def _bad(message: str, status: int = 400, code: str = "bad.request") -> Reply:
    body = {"message": message, "code": code, "status": status, "contextId": "sandbox", "details": [], "errors": []}
    return Reply(status, body)


def _date(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if parsed is not None and parsed.tzinfo is not None else None


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _lookup(item: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = item
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


class TaskManagementFake:
    """The workitems of one org, served by ``server``'s routes and lock."""

    def __init__(
        self,
        server: GenesysSandbox,
        statuses: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._server = server
        self.statuses = dict(statuses or {})  # statusId → category (Open, InProgress, Waiting, Closed)
        self.workitems: dict[str, dict[str, Any]] = {}
        self.bodies: list[tuple[str, str, dict[str, Any]]] = []  # (method, path, body) as received
        self._clock = clock
        self._last_modified: datetime | None = None

    def routes(self) -> list[Route]:
        item = re.compile(PATH + r"/(?P<workitem_id>[^/]+)")
        return [
            Route("POST", re.compile(PATH + "/query"), "workitem_query", self._query),
            Route("POST", re.compile(PATH), "workitem_create", self._create),
            Route("GET", item, "workitem_get", self._get),
            Route("PATCH", item, "workitem_patch", self._patch),
        ]

    def state(self) -> dict[str, Any]:
        return {"workitems": {k: dict(v) for k, v in self.workitems.items()}}

    # ---- for tests and the local stack --------------------------------------------------------------

    def agent_update(self, workitem_id: str, **fields: Any) -> dict[str, Any]:
        """Change a stored workitem as Genesys would (``statusId``, ``assigneeId``, ``assignmentState``...)."""
        with self._server.lock:
            item = self.workitems[workitem_id]
            self._apply(item, fields)
            return dict(item)

    def topic_event(self, workitem_id: str) -> dict[str, Any]:
        """The ``v2.taskmanagement.workitems.{id}`` event body of a stored workitem, as it is now."""
        with self._server.lock:
            item = self.workitems[workitem_id]
            event = {k: v for k, v in item.items() if not isinstance(v, dict | list) and k != "selfUri"}
            for field, ref in {**_REFERENCES, "typeId": "type"}.items():
                event[field] = _lookup(item, (ref, "id"))
            event["skillIds"] = [s["id"] for s in item.get("skills", [])]
            custom = item.get("customFields") or {}
            event["customFields"] = {k: {"dataType": "string", "value": str(v)} for k, v in custom.items()}
            event["operation"] = "edit"
            return {k: v for k, v in event.items() if v is not None}

    # ---- routes -------------------------------------------------------------------------------------

    def _gate(self, request: Request) -> Reply | None:
        """A 401 without a valid token, or an injected 429; None to go on."""
        server = self._server
        pending = server.knobs.task_throttle_next
        if pending > 0:
            server.knobs = dataclasses.replace(server.knobs, task_throttle_next=pending - 1)
            return server.throttle_reply()
        if not server.token_valid(request.bearer()):
            return _bad("Invalid login credentials.", 401, "bad.credentials")
        return None

    def _body(self, request: Request, allowed: frozenset[str]) -> dict[str, Any] | Reply:
        try:
            body = request.json()
        except ValueError:
            return _bad("The request body is not valid JSON.")
        if not isinstance(body, dict):
            return _bad("The request body must be an object.")
        unknown = sorted(set(body) - allowed)
        if unknown:
            return _bad(f"Unrecognized field(s): {', '.join(unknown)}")
        self.bodies.append((request.method, request.path, body))
        return body

    def _create(self, request: Request) -> Reply:
        gate = self._gate(request)
        if gate is not None:
            return gate
        body = self._body(request, CREATE_FIELDS)
        if isinstance(body, Reply):
            return body
        name, type_id = body.get("name"), body.get("typeId")
        if not isinstance(name, str) or not 3 <= len(name) <= 256:
            return _bad("name must be 3 to 256 characters")
        if not isinstance(type_id, str) or not type_id:
            return _bad("typeId is required")
        problem = self._check(body)
        if problem is not None:
            return problem
        now = self._now()
        workitem_id = str(uuid.UUID(int=self._server.rng.getrandbits(128), version=4))
        default_status = next((s for s, c in self.statuses.items() if c == "Open"), None)
        item: dict[str, Any] = {
            "id": workitem_id,
            "name": name,
            "type": {"id": type_id},
            "priority": 0,
            "dateCreated": _iso(now),
            "statusCategory": "Open",
            "status": {"id": default_status} if default_status else None,
            "assignmentState": None,
            "selfUri": f"{PATH}/{workitem_id}",
        }
        self._apply(item, {k: v for k, v in body.items() if k != "typeId"}, now=now)
        self.workitems[workitem_id] = item
        return Reply(200, dict(item))

    def _get(self, request: Request) -> Reply:
        gate = self._gate(request)
        if gate is not None:
            return gate
        item = self.workitems.get(request.params["workitem_id"])
        return Reply(200, dict(item)) if item else _bad("Workitem not found", 404, "not.found")

    def _patch(self, request: Request) -> Reply:
        gate = self._gate(request)
        if gate is not None:
            return gate
        item = self.workitems.get(request.params["workitem_id"])
        if item is None:
            return _bad("Workitem not found", 404, "not.found")
        body = self._body(request, UPDATE_FIELDS)
        if isinstance(body, Reply):
            return body
        problem = self._check(body)
        if problem is not None:
            return problem
        self._apply(item, body)
        return Reply(200, dict(item))

    def _query(self, request: Request) -> Reply:
        gate = self._gate(request)
        if gate is not None:
            return gate
        body = self._body(
            request, frozenset({"pageSize", "select", "filters", "attributes", "after", "sort", "expands"})
        )
        if isinstance(body, Reply):
            return body
        filters = body.get("filters")
        if not isinstance(filters, list) or not 1 <= len(filters) <= 3:
            return _bad("A maximum of three filters are allowed, and at least one is required.")
        if not any(f.get("operator") == "EQ" and f.get("name") in QUERY_KEY_FILTERS for f in filters):
            return _bad("At least one EQ filter on workbinId, assigneeId, queueId or typeId is required.")
        matches = []
        for item in self.workitems.values():
            if all(self._matches(item, f) for f in filters):
                matches.append(dict(item))
        page = matches[: int(body.get("pageSize") or 25)]
        return Reply(200, {"entities": page, "count": len(page), "selfUri": f"{PATH}/query"})

    # ---- helpers ------------------------------------------------------------------------------------

    def _matches(self, item: Mapping[str, Any], flt: Mapping[str, Any]) -> bool:
        path = _FILTER_PATHS.get(str(flt.get("name")))
        values = flt.get("values") or []
        return path is not None and flt.get("operator") == "EQ" and _lookup(item, path) in values

    def _check(self, body: Mapping[str, Any]) -> Reply | None:
        """The Task Management API's documented limits."""
        priority = body.get("priority")
        if priority is not None and (not isinstance(priority, int) or abs(priority) > PRIORITY_LIMIT):
            return _bad("priority must be between -25000000 and 25000000")
        for field in ("dateDue", "dateExpires"):
            if field in body:
                when = _date(body[field])
                if when is None or when > self._clock() + MAX_AHEAD:
                    return _bad(f"{field} must be an ISO-8601 date-time at most 365 days from now")
        description = body.get("description")
        if description is not None and (not isinstance(description, str) or len(description) > 512):
            return _bad("description must be at most 512 characters")
        status_id = body.get("statusId")
        if status_id is not None and self.statuses and status_id not in self.statuses:
            return _bad(f"Status {status_id} is not a status of this worktype")
        return None

    def _now(self) -> datetime:
        """A clock that never repeats a ``dateModified`` (events order by it)."""
        now = self._clock()
        if self._last_modified is not None and now <= self._last_modified:
            now = self._last_modified + timedelta(milliseconds=1)
        self._last_modified = now
        return now

    def _apply(self, item: dict[str, Any], fields: Mapping[str, Any], now: datetime | None = None) -> None:
        now = now or self._now()
        for key, value in fields.items():
            if key in _REFERENCES:
                item[_REFERENCES[key]] = {"id": value} if value else None
            elif key in _LIST_REFERENCES:
                item[_LIST_REFERENCES[key]] = [{"id": v} for v in value or []]
            elif key == "customFields":
                item["customFields"] = {**(item.get("customFields") or {}), **value} if value else {}
            else:
                item[key] = value
        if "statusId" in fields:
            category = self.statuses.get(fields["statusId"], item.get("statusCategory", "Open"))
            item["statusCategory"] = category
            item["dateStatusChanged"] = _iso(now)
            if category == "Closed":
                item["dateClosed"] = _iso(now)
        item["dateModified"] = _iso(now)
