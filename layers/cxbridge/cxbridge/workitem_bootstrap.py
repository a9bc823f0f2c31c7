"""Composition root of the workitem functions (kept apart so ingest stays light).

Each function builds, and imports, only what it uses: the events function never logs in to Genesys
(no ``requests``, no Parameters utility), the callback worker never reads the worktype mapping. The
imports inside the factories are that on purpose: cold start is import time. Tests rebuild everything
through ``bootstrap.reset``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cxbridge import bootstrap
from cxbridge.adapters.aws import client
from cxbridge.adapters.callback_queue import SqsCallbackQueue
from cxbridge.adapters.stepfunctions import SfnEscalationScheduler
from cxbridge.adapters.workitem_store import DynamoWorkitemStore
from cxbridge.config import workitem_genesys_settings, workitem_settings
from cxbridge.services.workitems import Rows, WorkitemCloser, WorkitemEventService

if TYPE_CHECKING:
    from cxbridge.adapters.genesys_tasks import GenesysTaskClient
    from cxbridge.adapters.worktypes import WorktypeCatalog
    from cxbridge.services.workitem_callbacks import CallbackService
    from cxbridge.services.workitem_sla import EscalationService
    from cxbridge.services.workitems import WorkitemService


def _client_credentials(secret: Any) -> tuple[str, str]:
    """The Genesys secret: ``{"client_id", "client_secret"}``, as the CRM worker and toil report read it."""
    if isinstance(secret, dict):
        client_id, client_secret = secret.get("client_id"), secret.get("client_secret")
        if isinstance(client_id, str) and client_id and isinstance(client_secret, str) and client_secret:
            return client_id, client_secret
    raise ValueError("the Genesys secret must be a JSON object with client_id and client_secret")


@lru_cache(maxsize=1)
def workitem_store() -> DynamoWorkitemStore:
    s = workitem_settings()
    return DynamoWorkitemStore(client("dynamodb"), s.workitems_table, s.retention_days)


@lru_cache(maxsize=1)
def worktypes() -> WorktypeCatalog:
    """The packaged mapping, or the SSM parameter that replaces it when one is named."""
    from cxbridge.adapters.worktypes import WorktypeCatalog, parameter_source  # noqa: PLC0415

    s = workitem_settings()
    if s.worktypes_parameter:
        return WorktypeCatalog(parameter_source(s.worktypes_parameter, s.parameters_max_age_s))
    return WorktypeCatalog()


@lru_cache(maxsize=1)
def genesys_tasks() -> GenesysTaskClient:
    """The Task Management client, logged in with the Genesys secret (one token cache per process)."""
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415

    from cxbridge.adapters.genesys_tasks import GenesysTaskClient  # noqa: PLC0415

    s = workitem_genesys_settings()
    secret = parameters.get_secret(s.genesys_secret_name, transform="json", max_age=s.secrets_max_age_s)
    client_id, client_secret = _client_credentials(secret)
    return GenesysTaskClient.for_region(
        s.genesys_region,
        client_id,
        client_secret,
        api_base_url=s.genesys_base_url,
        login_base_url=s.genesys_base_url,
        timeout_s=s.http_timeout_s,
        retry_budget_s=s.retry_budget_s,
    )


def _closer(*, stops_executions: bool) -> WorkitemCloser:
    s = workitem_settings()
    scheduler = SfnEscalationScheduler(client("stepfunctions"), s.state_machine_arn) if stops_executions else None
    return WorkitemCloser(Rows(workitem_store()), scheduler, SqsCallbackQueue(client("sqs"), s.callback_queue_url))


@lru_cache(maxsize=1)
def workitem_service() -> WorkitemService:
    """The capture point: ``POST/GET/PATCH /workitems``."""
    from cxbridge.services.workitems import WorkitemService  # noqa: PLC0415

    s = workitem_settings()
    return WorkitemService(
        workitem_store(),
        genesys_tasks(),
        SfnEscalationScheduler(client("stepfunctions"), s.state_machine_arn),
        _closer(stops_executions=True),
        worktypes(),
        callback_hosts=s.allowed_callback_hosts(),
        claim_lease_s=s.claim_lease_s,
    )


@lru_cache(maxsize=1)
def workitem_event_service() -> WorkitemEventService:
    """``POST /genesys/workitems``: no Genesys login, no worktype mapping."""
    return WorkitemEventService(workitem_store(), _closer(stops_executions=True))


@lru_cache(maxsize=1)
def escalation_service() -> EscalationService:
    """The state machine's step task. It runs inside the execution, so it never stops one."""
    from cxbridge.adapters.sns import SnsSupervisorNotifier  # noqa: PLC0415
    from cxbridge.services.workitem_sla import EscalationService  # noqa: PLC0415

    s = workitem_settings()
    return EscalationService(
        workitem_store(),
        genesys_tasks(),
        worktypes(),
        SnsSupervisorNotifier(client("sns"), s.supervisor_topic_arn),
        _closer(stops_executions=False),
    )


@lru_cache(maxsize=1)
def callback_service() -> CallbackService:
    """The sync-back worker."""
    from cxbridge.adapters.callback_http import HttpCallbackSender  # noqa: PLC0415
    from cxbridge.services.workitem_callbacks import CallbackService  # noqa: PLC0415

    s = workitem_settings()
    return CallbackService(
        workitem_store(), HttpCallbackSender(), SqsCallbackQueue(client("sqs"), s.callback_queue_url)
    )


def _clear_parameters() -> None:
    """Forget Powertools' cached secrets and parameters, if this process ever loaded them."""
    import sys  # noqa: PLC0415

    loaded = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if loaded is not None:
        loaded.clear_caches()


bootstrap.register(
    workitem_store.cache_clear,
    worktypes.cache_clear,
    genesys_tasks.cache_clear,
    workitem_service.cache_clear,
    workitem_event_service.cache_clear,
    escalation_service.cache_clear,
    callback_service.cache_clear,
    workitem_settings.cache_clear,
    workitem_genesys_settings.cache_clear,
    _clear_parameters,
)
