"""The Genesys integrations API, for the Amazon EventBridge Source integration ``cxbridge setup`` creates.

``POST /api/v2/integrations`` (a new integration, DISABLED), ``GET /api/v2/integrations`` (a page),
``GET|PUT /api/v2/integrations/{id}/config/current`` (the PUT must carry the current ``version``, else
409; it answers the next version), ``PATCH /api/v2/integrations/{id}`` (``intendedState``), and
``GET /api/v2/organizations/me`` (the org id the partner event source is named after).
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import TYPE_CHECKING, Any

from local.sandboxes.base import Reply, Request, Route

if TYPE_CHECKING:
    from local.sandboxes.genesys import GenesysSandbox

PATH = "/api/v2/integrations"
ORG_ID = "1a2b3c4d-0000-4000-8000-00000000c0de"
TYPES = frozenset({"amazon-eventbridge-source", "custom-rest-actions"})
CONFIG_KEYS = frozenset({"name", "notes", "version", "properties", "advanced", "credentials"})


def _bad(message: str, status: int = 400, code: str = "bad.request") -> Reply:
    return Reply(status, {"message": message, "code": code, "status": status, "contextId": "sandbox", "details": []})


class IntegrationsFake:
    """The integrations of one org, served by ``server``'s routes and lock."""

    def __init__(self, server: GenesysSandbox) -> None:
        self._server = server
        self.integrations: dict[str, dict[str, Any]] = {}  # id → integration (with its "config")

    def routes(self) -> list[Route]:
        item = PATH + r"/(?P<integration_id>[0-9a-f-]{36})"
        return [
            Route("GET", re.compile(r"/api/v2/organizations/me"), "organization", self._organization),
            Route("GET", re.compile(PATH), "integrations_list", self._list),
            Route("POST", re.compile(PATH), "integration_create", self._create),
            Route("PATCH", re.compile(item), "integration_patch", self._patch),
            Route("GET", re.compile(item + "/config/current"), "integration_config_get", self._config),
            Route("PUT", re.compile(item + "/config/current"), "integration_config_put", self._put_config),
        ]

    def state(self) -> dict[str, Any]:
        return {"integrations": copy.deepcopy(self.integrations)}

    def _view(self, integration: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in integration.items() if k != "config"}

    def _found(self, request: Request) -> dict[str, Any] | Reply:
        if not self._server.token_valid(request.bearer()):
            return _bad("Invalid login credentials.", 401, "bad.credentials")
        if "integration_id" not in request.params:
            return {}
        integration = self.integrations.get(request.params["integration_id"])
        return integration if integration is not None else _bad("Integration not found", 404, "not.found")

    def _organization(self, request: Request) -> Reply:
        found = self._found(request)
        return found if isinstance(found, Reply) else Reply(200, {"id": ORG_ID, "name": "Sandbox org"})

    def _list(self, request: Request) -> Reply:
        found = self._found(request)
        if isinstance(found, Reply):
            return found
        entities = [self._view(i) for i in self.integrations.values()]
        return Reply(200, {"entities": entities, "pageSize": 100, "pageNumber": 1, "total": len(entities)})

    def _create(self, request: Request) -> Reply:
        found = self._found(request)
        if isinstance(found, Reply):
            return found
        body = request.json()
        kind = (body.get("integrationType") or {}).get("id") if isinstance(body, dict) else None
        if kind not in TYPES:
            return _bad("integrationType.id is not an installable integration type")
        integration_id = str(uuid.UUID(int=self._server.rng.getrandbits(128)))
        name = {"amazon-eventbridge-source": "Amazon EventBridge Source"}.get(kind, kind)
        self.integrations[integration_id] = {
            "id": integration_id,
            "name": name,
            "integrationType": {"id": kind},
            "intendedState": "DISABLED",
            "reportedState": {"code": "DISABLED"},
            "config": {"name": name, "notes": "", "version": 1, "properties": {}, "advanced": {}, "credentials": {}},
        }
        return Reply(200, self._view(self.integrations[integration_id]))

    def _patch(self, request: Request) -> Reply:
        found = self._found(request)
        if isinstance(found, Reply):
            return found
        body = request.json()
        state = body.get("intendedState") if isinstance(body, dict) else None
        if state not in ("ENABLED", "DISABLED", "DELETED"):
            return _bad("intendedState must be ENABLED, DISABLED or DELETED")
        found.update(intendedState=state, reportedState={"code": "ACTIVE" if state == "ENABLED" else state})
        return Reply(200, self._view(found))

    def _config(self, request: Request) -> Reply:
        found = self._found(request)
        return found if isinstance(found, Reply) else Reply(200, copy.deepcopy(found["config"]))

    def _put_config(self, request: Request) -> Reply:
        found = self._found(request)
        if isinstance(found, Reply):
            return found
        body = request.json()
        if not isinstance(body, dict) or set(body) - CONFIG_KEYS:
            return _bad("the body must be a config: name, notes, version, properties, advanced, credentials")
        if body.get("version") != found["config"]["version"]:
            return _bad("The version does not match the current version", 409, "version.mismatch")
        found["config"] = {**found["config"], **body, "version": found["config"]["version"] + 1}
        found["name"] = found["config"]["name"]
        return Reply(200, copy.deepcopy(found["config"]))
