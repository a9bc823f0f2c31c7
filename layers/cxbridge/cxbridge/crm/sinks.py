"""Build the configured ``CrmSink`` from its connection document (SSM) and its credentials (Secrets Manager).

The documents are validated here, so a typo in a deployed configuration fails the worker's start with
the field named, not a write later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from cxbridge.core.oauth import TokenCache
from cxbridge.crm.automation_anywhere import AutomationAnywhereMapping, AutomationAnywhereSink
from cxbridge.crm.automation_anywhere_wlm import AutomationAnywhereWorkQueueSink
from cxbridge.crm.dynamics import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_PARALLEL_REQUESTS,
    MAX_BATCH_SIZE,
    MAX_PARALLEL_REQUESTS,
    DynamicsMapping,
    DynamicsSink,
)
from cxbridge.crm.dynamics_lookup import DynamicsLookup  # noqa: TC001 - pydantic reads it
from cxbridge.crm.oauth import AutomationAnywhereTokenSource, EntraTokenSource, SalesforceTokenSource
from cxbridge.crm.salesforce import SalesforceMapping, SalesforceSink
from cxbridge.crm.salesforce_lookup import SalesforceLookup  # noqa: TC001 - pydantic reads it
from cxbridge.crm.work_queue import WorkQueueMapping  # noqa: TC001 - pydantic reads it

if TYPE_CHECKING:
    from cxbridge.crm.ports import BotDeploymentLedger, CrmSink

SinkKind = Literal["salesforce", "dynamics", "automation_anywhere"]
AutomationAnywhereMode = Literal["deploy", "workqueue"]


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SalesforceConnection(_Doc):
    """``{"my_domain_url": "https://acme.my.salesforce.com", "mapping": {...}}``"""

    my_domain_url: str = Field(pattern=r"^https?://")
    token_lifetime_s: float = Field(default=7200, gt=60)
    mapping: SalesforceMapping
    lookup: SalesforceLookup | None = None  # customer lookups (issue 18); none: the assist route falls back


class DynamicsConnection(_Doc):
    """``{"org_url": "https://contoso.crm.dynamics.com", "tenant_id": "...", "mapping": {...}}``

    ``batch_size``: targets per UpsertMultiple request; ``parallel_requests``: single upserts in flight
    at once where the table cannot take UpsertMultiple (or ``mapping.write_mode`` is ``single``).
    """

    org_url: str = Field(pattern=r"^https?://")
    tenant_id: str = Field(min_length=1)
    login_base_url: str = Field(default="https://login.microsoftonline.com", pattern=r"^https?://")
    batch_size: int = Field(default=DEFAULT_BATCH_SIZE, ge=1, le=MAX_BATCH_SIZE)
    parallel_requests: int = Field(default=DEFAULT_PARALLEL_REQUESTS, ge=1, le=MAX_PARALLEL_REQUESTS)
    mapping: DynamicsMapping
    lookup: DynamicsLookup | None = None  # customer lookups (issue 18); none: the assist route falls back


class AutomationAnywhereConnection(_Doc):
    """``{"control_room_url": "https://acme.my.automationanywhere.digital", "mapping": {...}}``

    ``mapping`` is the deploy mode's bot (one run per call); ``work_queue`` the WLM mode's queue and work
    item attributes (issue 16). The mode (``AA_MODE``) says which of the two must be there.
    """

    control_room_url: str = Field(pattern=r"^https?://")
    in_flight_s: float = Field(default=60, gt=0)
    mapping: AutomationAnywhereMapping | None = None
    work_queue: WorkQueueMapping | None = None


class ClientCredentials(_Doc):
    """The secret of an OAuth client-credentials app (Salesforce, Entra ID, Genesys)."""

    client_id: str = Field(min_length=1)
    client_secret: SecretStr


class ControlRoomCredentials(_Doc):
    """The Control Room service account's API key (the callback has its own per-deployment token)."""

    username: str = Field(min_length=1)
    api_key: SecretStr


def build_sink(
    kind: SinkKind,
    connection: dict[str, Any],
    secret: dict[str, Any],
    *,
    timeout_s: float,
    ledger: BotDeploymentLedger | None = None,
    callback_url: str | None = None,
    callback_key: bytes | None = None,
    aa_mode: AutomationAnywhereMode = "deploy",
) -> CrmSink:
    """The sink ``kind`` names (for Automation Anywhere, in ``aa_mode``), connected and authenticated as
    its documents say."""
    if kind == "salesforce":
        sf = SalesforceConnection.model_validate(connection)
        creds = ClientCredentials.model_validate(secret)
        source = SalesforceTokenSource(
            sf.my_domain_url, creds.client_id, creds.client_secret.get_secret_value(), sf.token_lifetime_s
        )
        return SalesforceSink(sf.mapping, TokenCache(source, timeout_s=timeout_s), timeout_s=timeout_s)
    if kind == "dynamics":
        dyn = DynamicsConnection.model_validate(connection)
        creds = ClientCredentials.model_validate(secret)
        entra = EntraTokenSource(
            dyn.tenant_id, creds.client_id, creds.client_secret.get_secret_value(), dyn.org_url, dyn.login_base_url
        )
        return DynamicsSink(
            dyn.mapping,
            dyn.org_url,
            TokenCache(entra, timeout_s=timeout_s),
            timeout_s=timeout_s,
            batch_size=dyn.batch_size,
            parallel_requests=dyn.parallel_requests,
        )
    aa = AutomationAnywhereConnection.model_validate(connection)
    cr = ControlRoomCredentials.model_validate(secret)
    tokens = TokenCache(
        AutomationAnywhereTokenSource(aa.control_room_url, cr.username, cr.api_key.get_secret_value()),
        timeout_s=timeout_s,
    )
    if aa_mode == "workqueue":
        if aa.work_queue is None or ledger is None:
            raise ValueError("the Automation Anywhere work-queue mode needs work_queue in its document and a ledger")
        return AutomationAnywhereWorkQueueSink(
            aa.work_queue,
            aa.control_room_url,
            tokens,
            ledger,
            callback_key=callback_key,
            timeout_s=timeout_s,
            in_flight_s=aa.in_flight_s,
        )
    if aa.mapping is None:
        raise ValueError("the Automation Anywhere deploy mode needs mapping in its document")
    if ledger is None or not callback_url or not callback_key:
        raise ValueError("the Automation Anywhere sink needs a ledger, the callback URL and the callback key")
    return AutomationAnywhereSink(
        aa.mapping,
        aa.control_room_url,
        tokens,
        ledger,
        callback_url=callback_url,
        callback_key=callback_key,
        timeout_s=timeout_s,
        in_flight_s=aa.in_flight_s,
    )
