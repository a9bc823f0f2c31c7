"""Who is calling: the caller's identity as API Gateway's Cognito authorizer hands it to a function.

API Gateway checks the token (signature, expiry, the method's scopes) before any function runs, and puts
its claims in ``requestContext.authorizer.claims``. The token's ``client_id`` is the caller: Genesys, or
one source system. A function behind the authorizer that finds no usable identity refuses the request (a
misconfigured route must not act for nobody).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cxbridge.core.errors import RequestRejected

if TYPE_CHECKING:
    from collections.abc import Mapping

# The resource server's scopes (template.yaml: CallerScopes), one name per permission.
RESOURCE_SERVER = "cxbridge"
EVENTS_WRITE = f"{RESOURCE_SERVER}/events.write"
WORKITEMS_WRITE = f"{RESOURCE_SERVER}/workitems.write"
WORKITEMS_READ = f"{RESOURCE_SERVER}/workitems.read"
TOIL_READ = f"{RESOURCE_SERVER}/toil.read"
ASSIST_READ = f"{RESOURCE_SERVER}/assist.read"
SCOPES = {
    EVENTS_WRITE: "Send Genesys conversation and workitem events",
    WORKITEMS_WRITE: "Capture and change the caller's own workitems",
    WORKITEMS_READ: "Read the caller's own workitems",
    TOIL_READ: "Read the toil report",
    ASSIST_READ: "Look customers up in the CRM for agent assist",
}
# Cognito app client ids are 1-128 word characters; local clients are names such as source-crm.
_CLIENT_ID = re.compile(r"[\w+.-]{1,128}")


class Unauthenticated(RequestRejected):
    """No caller identity reached the function (the route is not behind the authorizer, or was misconfigured)."""

    def __init__(self) -> None:
        super().__init__(401, "unauthorized", "no caller identity")


@dataclass(frozen=True, slots=True)
class Caller:
    """The calling app client and the scopes its token holds."""

    client_id: str
    scopes: frozenset[str]


def caller_of(event: Mapping[str, Any]) -> Caller:
    """The caller of an API Gateway proxy event; raises ``Unauthenticated`` without a usable identity."""
    context = event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {} if isinstance(context, dict) else {}
    claims = authorizer.get("claims") or {} if isinstance(authorizer, dict) else {}
    client_id = claims.get("client_id") if isinstance(claims, dict) else None
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise Unauthenticated
    scope = claims.get("scope")
    return Caller(client_id, frozenset(scope.split()) if isinstance(scope, str) else frozenset())
