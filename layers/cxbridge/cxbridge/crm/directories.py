"""Build the configured ``ContactDirectory`` from the CRM's connection document and credentials.

The same documents as the sink's (``crm.sinks``): a ``lookup`` section says what a lookup reads. A CRM
without one (or an RPA sink, which has no customer records to read) has no directory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxbridge.core.oauth import TokenCache
from cxbridge.crm.dynamics_lookup import DynamicsDirectory
from cxbridge.crm.oauth import EntraTokenSource, SalesforceTokenSource
from cxbridge.crm.salesforce_lookup import SalesforceDirectory
from cxbridge.crm.sinks import ClientCredentials, DynamicsConnection, SalesforceConnection

if TYPE_CHECKING:
    from cxbridge.crm.ports import ContactDirectory
    from cxbridge.crm.sinks import SinkKind


def build_directory(
    kind: SinkKind, connection: dict[str, Any], secret: dict[str, Any], *, timeout_s: float
) -> ContactDirectory | None:
    """The directory of the CRM ``kind`` names, or None when it has no ``lookup`` configured."""
    if kind == "salesforce":
        sf = SalesforceConnection.model_validate(connection)
        if sf.lookup is None:
            return None
        creds = ClientCredentials.model_validate(secret)
        source = SalesforceTokenSource(
            sf.my_domain_url, creds.client_id, creds.client_secret.get_secret_value(), sf.token_lifetime_s
        )
        return SalesforceDirectory(sf.lookup, TokenCache(source, timeout_s=timeout_s), timeout_s=timeout_s)
    if kind == "dynamics":
        dyn = DynamicsConnection.model_validate(connection)
        if dyn.lookup is None:
            return None
        creds = ClientCredentials.model_validate(secret)
        entra = EntraTokenSource(
            dyn.tenant_id, creds.client_id, creds.client_secret.get_secret_value(), dyn.org_url, dyn.login_base_url
        )
        return DynamicsDirectory(dyn.lookup, dyn.org_url, TokenCache(entra, timeout_s=timeout_s), timeout_s=timeout_s)
    return None
