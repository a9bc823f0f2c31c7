"""The CRM and RPA logins: Salesforce and Entra ID client credentials, the Automation Anywhere API key.

Each is a ``core.oauth.TokenSource``; ``TokenCache`` renews, invalidates and serialises them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from cxbridge.core.oauth import AccessToken, post_for_token, token_lifetime
from cxbridge.core.upstream import UpstreamFailure, WriteStatus

if TYPE_CHECKING:
    import requests

SALESFORCE_DEFAULT_LIFETIME_S = 7_200.0  # the default session timeout; the token call does not say
ENTRA_DEFAULT_LIFETIME_S = 3_599.0
AUTOMATION_ANYWHERE_LIFETIME_S = 1_200.0  # 20 minutes, fixed by the Control Room


@dataclass(frozen=True, slots=True)
class SalesforceTokenSource:
    """Salesforce client credentials on the org's My Domain host (``login.salesforce.com`` refuses this grant).

    The answer has no ``expires_in``: the token lives as long as the session timeout policy, so we assume
    ``lifetime_s`` and rely on 401 ``INVALID_SESSION_ID`` when the policy is shorter.
    """

    my_domain_url: str
    client_id: str
    client_secret: str
    lifetime_s: float = SALESFORCE_DEFAULT_LIFETIME_S
    system: ClassVar[str] = "salesforce"

    def fetch(self, session: requests.Session, timeout_s: float) -> AccessToken:
        body = post_for_token(
            self.system,
            session,
            f"{self.my_domain_url.rstrip('/')}/services/oauth2/token",
            timeout_s,
            data={"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret},
        )
        instance_url = body.get("instance_url")
        if not isinstance(instance_url, str) or not instance_url:
            raise UpstreamFailure(WriteStatus.TRANSIENT, "token:bad-response")
        return AccessToken(body["access_token"], self.lifetime_s, instance_url=instance_url.rstrip("/"))


@dataclass(frozen=True, slots=True)
class EntraTokenSource:
    """Microsoft Entra ID client credentials for a Dataverse org: scope ``<org url>/.default``."""

    tenant_id: str
    client_id: str
    client_secret: str
    resource_url: str  # e.g. https://contoso.crm.dynamics.com
    login_base_url: str = "https://login.microsoftonline.com"
    default_lifetime_s: float = ENTRA_DEFAULT_LIFETIME_S
    system: ClassVar[str] = "dynamics"

    def fetch(self, session: requests.Session, timeout_s: float) -> AccessToken:
        body = post_for_token(
            self.system,
            session,
            f"{self.login_base_url.rstrip('/')}/{self.tenant_id}/oauth2/v2.0/token",
            timeout_s,
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "scope": f"{self.resource_url.rstrip('/')}/.default",
            },
        )
        return AccessToken(body["access_token"], token_lifetime(body, self.default_lifetime_s))


@dataclass(frozen=True, slots=True)
class AutomationAnywhereTokenSource:
    """Control Room API-key login: ``POST <CR>/v1/authentication``; the token goes in ``X-Authorization``."""

    control_room_url: str
    username: str
    api_key: str
    lifetime_s: float = AUTOMATION_ANYWHERE_LIFETIME_S
    system: ClassVar[str] = "automation_anywhere"

    def fetch(self, session: requests.Session, timeout_s: float) -> AccessToken:
        body = post_for_token(
            self.system,
            session,
            f"{self.control_room_url.rstrip('/')}/v1/authentication",
            timeout_s,
            field="token",
            json={"username": self.username, "apiKey": self.api_key},
        )
        return AccessToken(body["token"], self.lifetime_s, header_name="X-Authorization", scheme=None)
