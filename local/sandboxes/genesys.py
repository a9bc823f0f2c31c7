"""A fake Genesys Cloud: client-credentials login and wrap-up codes from a seeded map.

Both hosts are this one server: ``login.<domain>`` (``POST /oauth/token``) and ``api.<domain>``
(``GET /api/v2/routing/wrapupcodes/{id}``, and the pages of wrap-up codes and queues). Errors use the
platform's ``{message, code, status, contextId, details, errors}`` body, and a 429 carries
``Retry-After`` in seconds.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET, Knobs, Reply, Request, Route, SandboxServer
from local.sandboxes.genesys_analytics import AnalyticsCall, ConversationAggregatesFake  # toil (issue 6)
from local.sandboxes.genesys_integrations import IntegrationsFake  # the EventBridge integration (issue 19)
from local.sandboxes.genesys_tasks import TaskManagementFake  # Task Management (workitems, issue 5)
from local.sandboxes.genesys_transcripts import TranscriptsFake  # STA transcripts (issue 17)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


@dataclass
class GenesysKnobs(Knobs):
    """``retry_after_s``: the ``Retry-After`` of a throttled answer."""

    retry_after_s: int = 3
    # ---- Task Management (workitems, issue 5): the next N workitem requests answer 429 ----
    task_throttle_next: int = 0
    # ---- STA transcripts (issue 17): seconds after the recordings are first asked for until it exists ----
    transcript_delay_s: float = 0.0


QUEUE_ID = "f3d2c1b0-a987-4654-b321-0fedcba98765"  # the demo org's one queue


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    body = {"message": message, "code": code, "status": status, "contextId": "sandbox", "details": [], "errors": []}
    return Reply(status, body, headers or {})


class GenesysSandbox(SandboxServer[GenesysKnobs]):
    """Login and Platform API of one org whose wrap-up codes are ``wrapup_codes`` (id → name)."""

    def __init__(
        self,
        *,
        wrapup_codes: Mapping[str, str] | None = None,
        client_id: str = SANDBOX_CLIENT_ID,
        client_secret: str = SANDBOX_SECRET,
        token_lifetime_s: int = 86_399,
        knobs: GenesysKnobs | None = None,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        task_statuses: Mapping[str, str] | None = None,  # Task Management (issue 5): statusId → category
        calls: Sequence[AnalyticsCall] = (),  # toil (issue 6): conversations the aggregates query counts
    ) -> None:
        self.wrapup_codes = dict(wrapup_codes or {})
        # Conversations (contact linking, issue 18): conversation id → the customer's number, as Genesys
        # gives it (a tel: URI), and optionally the external contact Genesys matched.
        self.customer_numbers: dict[str, str] = {}
        self.external_contacts: dict[str, str] = {}
        # Permissions the OAuth client's role lacks (its requests answer 403), e.g. conversation:communication:view.
        self.missing_permissions: set[str] = set()
        self.tasks = TaskManagementFake(self, task_statuses)  # Task Management (workitems, issue 5)
        self.analytics = ConversationAggregatesFake(self, calls)  # toil (issue 6)
        self.transcripts = TranscriptsFake(self)  # STA transcripts (issue 17)
        self.integrations = IntegrationsFake(self)  # the EventBridge integration (issue 19)
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime_s = token_lifetime_s
        super().__init__(knobs or GenesysKnobs(), seed=seed, host=host, port=port)

    def api_routes(self) -> Sequence[Route]:
        return [
            Route("POST", re.compile(r"/oauth/token"), "token", self._token, "token"),
            Route("GET", re.compile(r"/api/v2/routing/wrapupcodes/(?P<code_id>[^/]+)"), "wrapupcode", self._wrapup),
            Route("GET", re.compile(r"/api/v2/routing/wrapupcodes"), "wrapupcodes", self._wrapup_list),
            Route("GET", re.compile(r"/api/v2/routing/queues"), "queues", self._queue_list),
            Route(
                "GET",
                re.compile(r"/api/v2/conversations/(?P<conversation_id>[^/]+)"),
                "conversation",
                self._conversation,
            ),
            *self.tasks.routes(),  # Task Management (workitems, issue 5)
            *self.analytics.routes(),  # toil (issue 6)
            *self.transcripts.routes(),  # STA transcripts (issue 17)
            *self.integrations.routes(),  # the EventBridge integration (issue 19)
        ]

    def throttle_reply(self) -> Reply:
        seconds = self.knobs.retry_after_s
        message = f"Rate limit exceeded the maximum. Retry the request in [{seconds}] seconds"
        return _error(429, "too.many.requests.retry.after", message, {"Retry-After": str(seconds)})

    def fail_reply(self) -> Reply:
        return _error(500, "internal.server.error", "The server encountered an unexpected condition.")

    def not_found(self, request: Request) -> Reply:
        return _error(404, "not.found", "The requested resource was not found.")

    def extra_state(self) -> dict[str, Any]:
        state = {"wrapup_codes": dict(self.wrapup_codes), **self.tasks.state()}  # + workitems (issue 5)
        # + analytics (6), transcripts (17), integrations (19)
        return {**state, **self.analytics.state(), **self.transcripts.state(), **self.integrations.state()}

    def _basic_credentials(self, request: Request) -> tuple[str, str] | None:
        scheme, _, encoded = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return client_id, secret

    def _token(self, request: Request) -> Reply:
        if request.form().get("grant_type") != "client_credentials":
            return Reply(400, {"error": "unsupported_grant_type", "description": "grant type not supported"})
        if self._basic_credentials(request) != (self.client_id, self.client_secret):
            return Reply(400, {"error": "invalid_client", "description": "client not found"})
        token = self.issue_token("sandbox-genesys-")
        return Reply(200, {"access_token": token, "token_type": "bearer", "expires_in": self.token_lifetime_s})

    def _page(self, request: Request, path: str, entities: list[dict[str, Any]]) -> Reply:
        """A Platform API list page: ``entities`` with ``pageSize``, ``pageNumber``, ``total``, ``pageCount``."""
        if not self.token_valid(request.bearer()):
            return _error(401, "bad.credentials", "Invalid login credentials.")
        try:
            size = int((request.query.get("pageSize") or ["25"])[-1])
            number = int((request.query.get("pageNumber") or ["1"])[-1])
        except ValueError:
            return _error(400, "bad.request", "pageSize and pageNumber must be integers")
        page = entities[(number - 1) * size : number * size]
        count = -(-len(entities) // size) if size > 0 else 0
        body = {"entities": page, "pageSize": size, "pageNumber": number, "total": len(entities), "pageCount": count}
        return Reply(200, {**body, "selfUri": f"{path}?pageSize={size}&pageNumber={number}"})

    def _wrapup_list(self, request: Request) -> Reply:
        codes = [
            {"id": i, "name": n, "selfUri": f"/api/v2/routing/wrapupcodes/{i}"} for i, n in self.wrapup_codes.items()
        ]
        return self._page(request, "/api/v2/routing/wrapupcodes", codes)

    def _queue_list(self, request: Request) -> Reply:
        queues = [{"id": QUEUE_ID, "name": "Support", "selfUri": f"/api/v2/routing/queues/{QUEUE_ID}"}]
        return self._page(request, "/api/v2/routing/queues", queues)

    def _wrapup(self, request: Request) -> Reply:
        if not self.token_valid(request.bearer()):
            return _error(401, "bad.credentials", "Invalid login credentials.")
        code_id = unquote(request.params["code_id"])
        name = self.wrapup_codes.get(code_id)
        if name is None:
            return _error(404, "not.found", f"Wrap-up code {code_id} not found")
        return Reply(
            200,
            {
                "id": code_id,
                "name": name,
                "dateCreated": "2025-01-01T00:00:00.000Z",
                "createdBy": "sandbox",
                "selfUri": f"/api/v2/routing/wrapupcodes/{code_id}",
            },
        )

    def _conversation(self, request: Request) -> Reply:
        """``GET /api/v2/conversations/{id}``: the participants, the customer's with its ``ani`` and ``address``."""
        if not self.token_valid(request.bearer()):
            return _error(401, "bad.credentials", "Invalid login credentials.")
        if "conversation:communication:view" in self.missing_permissions:  # checked before the conversation
            return _error(403, "missing.permissions", "You are not authorized to perform the requested action.")
        conversation_id = unquote(request.params["conversation_id"])
        number = self.customer_numbers.get(conversation_id)
        if number is None and conversation_id not in self.external_contacts:
            return _error(404, "not.found", f"Conversation {conversation_id} not found")
        customer: dict[str, Any] = {"id": f"{conversation_id}-c", "purpose": "customer"}
        if number is not None:
            customer |= {"ani": number, "address": number, "dnis": "tel:+18005550100"}
        if conversation_id in self.external_contacts:
            customer["externalContactId"] = self.external_contacts[conversation_id]
        agent = {"id": f"{conversation_id}-a", "purpose": "agent", "address": "sip:agent@sandbox"}
        return Reply(
            200,
            {
                "id": conversation_id,
                "address": "tel:+18005550100",
                "participants": [customer, agent],
                "selfUri": f"/api/v2/conversations/{conversation_id}",
            },
        )
