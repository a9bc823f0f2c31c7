"""Composition root of the workitem functions (kept apart so ingest stays light).

Each function builds, and imports, only what it uses: the events function never logs in to Genesys
(no ``requests``, no Parameters utility), the callback worker never reads the worktype mapping. The
imports inside the factories are that on purpose: cold start is import time. Tests rebuild everything
through ``core.wiring.reset``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from cxbridge.core import wiring
from cxbridge.core.aws import client, json_secret, read_keys
from cxbridge.workitems.callback_queue import SqsCallbackQueue
from cxbridge.workitems.service import Rows, WorkitemCloser, WorkitemEventService
from cxbridge.workitems.settings import workitem_genesys_settings, workitem_settings
from cxbridge.workitems.stepfunctions import SfnEscalationScheduler
from cxbridge.workitems.store import DynamoWorkitemStore

if TYPE_CHECKING:
    from cxbridge.workitems.escalation import EscalationService
    from cxbridge.workitems.genesys_tasks import GenesysTaskClient
    from cxbridge.workitems.service import WorkitemService
    from cxbridge.workitems.sync_back import CallbackService
    from cxbridge.workitems.worktype_catalog import WorktypeCatalog


@lru_cache(maxsize=1)
def workitem_store() -> DynamoWorkitemStore:
    s = workitem_settings()
    return DynamoWorkitemStore(client("dynamodb"), s.workitems_table, s.retention_days)


@lru_cache(maxsize=1)
def worktypes() -> WorktypeCatalog:
    """The packaged mapping, or the SSM parameter that replaces it when one is named."""
    from cxbridge.workitems.worktype_catalog import WorktypeCatalog, parameter_source  # noqa: PLC0415

    s = workitem_settings()
    if s.worktypes_parameter:
        return WorktypeCatalog(parameter_source(s.worktypes_parameter, s.parameters_max_age_s))
    return WorktypeCatalog()


@lru_cache(maxsize=1)
def genesys_tasks() -> GenesysTaskClient:
    """The Task Management client, logged in with the Genesys secret (one token cache per process)."""
    from cxbridge.genesys.connection import connect  # noqa: PLC0415
    from cxbridge.workitems.genesys_tasks import GenesysTaskClient  # noqa: PLC0415

    s = workitem_genesys_settings()
    secret = json_secret(s.genesys_secret_name, s.secrets_max_age_s)
    genesys = connect(secret, region=s.genesys_region, base_url=s.genesys_base_url, timeout_s=s.http_timeout_s)
    return GenesysTaskClient(
        genesys.tokens, genesys.api_url, timeout_s=s.http_timeout_s, retry_budget_s=s.retry_budget_s
    )


def _closer(*, stops_executions: bool) -> WorkitemCloser:
    s = workitem_settings()
    scheduler = SfnEscalationScheduler(client("stepfunctions"), s.state_machine_arn) if stops_executions else None
    return WorkitemCloser(Rows(workitem_store()), scheduler, SqsCallbackQueue(client("sqs"), s.callback_queue_url))


@lru_cache(maxsize=1)
def workitem_service() -> WorkitemService:
    """The capture point: ``POST/GET/PATCH /workitems``; a Genesys login only once a write needs one (a read
    never fetches the Genesys secret, nor fails when Secrets Manager does)."""
    from cxbridge.workitems.service import WorkitemService  # noqa: PLC0415

    s = workitem_settings()
    return WorkitemService(
        workitem_store(),
        genesys_tasks,
        SfnEscalationScheduler(client("stepfunctions"), s.state_machine_arn),
        _closer(stops_executions=True),
        worktypes(),
        # Read on a capture only: reading and listing need no key (Parameters caches it for max_age).
        id_key=lambda: read_keys(s.id_secret_name, s.parameters_max_age_s).current,
        callback_hosts=s.allowed_callback_hosts(),
        claim_lease_s=s.claim_lease_s,
    )


@lru_cache(maxsize=1)
def workitem_event_service() -> WorkitemEventService:
    """``POST /genesys/workitems``: no worktype mapping; a Genesys login only once a close must be confirmed."""
    return WorkitemEventService(workitem_store(), _closer(stops_executions=True), genesys_tasks)


@lru_cache(maxsize=1)
def escalation_service() -> EscalationService:
    """The state machine's step task. It runs inside the execution, so it never stops one."""
    from cxbridge.workitems.escalation import EscalationService  # noqa: PLC0415
    from cxbridge.workitems.supervisor_sns import SnsSupervisorNotifier  # noqa: PLC0415

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
    from cxbridge.workitems.callback_http import HttpCallbackSender  # noqa: PLC0415
    from cxbridge.workitems.sync_back import CallbackService  # noqa: PLC0415

    s = workitem_settings()
    return CallbackService(
        workitem_store(), HttpCallbackSender(), SqsCallbackQueue(client("sqs"), s.callback_queue_url)
    )


wiring.register(
    workitem_store.cache_clear,
    worktypes.cache_clear,
    genesys_tasks.cache_clear,
    workitem_service.cache_clear,
    workitem_event_service.cache_clear,
    escalation_service.cache_clear,
    callback_service.cache_clear,
)
