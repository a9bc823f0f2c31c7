"""Composition root of the CRM feature: the job outbox, the sync worker and the bot callback.

Each function builds, and imports, only what it uses: the outbox needs a queue, not the sinks, the
Genesys login or Powertools Parameters (their imports are cold start it would pay for nothing).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from cxbridge.core import wiring
from cxbridge.core.aws import client, json_parameter, json_secret, read_keys
from cxbridge.crm.settings import crm_sync_settings, lookup_settings, outbox_settings

if TYPE_CHECKING:
    from cxbridge.core.sqs import SqsQueue
    from cxbridge.crm.bot_callback import BotCallbackService
    from cxbridge.crm.contact_link import ContactLinker
    from cxbridge.crm.lookup_service import LookupService
    from cxbridge.crm.outbox import OutboxService
    from cxbridge.crm.ports import ContactDirectory, CrmSink
    from cxbridge.crm.reconciler import Reconciler
    from cxbridge.crm.sync import CrmSyncService, RetryPolicy
    from cxbridge.crm.worker_state import DynamoBotDeploymentLedger
    from cxbridge.genesys.client import GenesysClient


@lru_cache(maxsize=1)
def outbox_service() -> OutboxService:
    """The stream relay: call-record changes in, CRM-sync jobs out."""
    from cxbridge.core.sqs import SqsQueue  # noqa: PLC0415
    from cxbridge.crm.outbox import OutboxService  # noqa: PLC0415

    return OutboxService(SqsQueue(client("sqs"), outbox_settings().crm_sync_queue_url))


@lru_cache(maxsize=1)
def crm_sink() -> CrmSink:
    """The configured sink, from its connection document (SSM) and credentials (Secrets Manager)."""
    from cxbridge.crm.sinks import build_sink  # noqa: PLC0415

    s = crm_sync_settings()
    connection = json_parameter(s.crm_config_parameter, s.secrets_max_age_s)
    secret = json_secret(s.crm_secret_name, s.secrets_max_age_s)
    return build_sink(
        s.crm_sink,
        connection,
        secret,
        timeout_s=s.http_timeout_s,
        ledger=bot_ledger(),
        callback_url=s.bot_callback_url,
        callback_key=read_keys(s.bot_callback_secret_name, s.secrets_max_age_s).current
        if s.crm_sink == "automation_anywhere"
        else None,
        aa_mode=s.aa_mode,
    )


def _retry_policy() -> RetryPolicy:
    from cxbridge.crm.sync import RetryPolicy  # noqa: PLC0415

    s = crm_sync_settings()
    return RetryPolicy(s.backoff_base_s, s.backoff_cap_s, s.max_receives)


@lru_cache(maxsize=1)
def crm_sync_service() -> CrmSyncService:
    """The worker's service: sink, call records, wrap-up names and breaker, from settings and secrets."""
    from cxbridge.calls.store import DynamoSyncStatusStore  # noqa: PLC0415
    from cxbridge.crm.breaker import BreakerPolicy  # noqa: PLC0415
    from cxbridge.crm.sync import CrmSyncService  # noqa: PLC0415
    from cxbridge.crm.worker_state import DynamoBreakerStore  # noqa: PLC0415
    from cxbridge.genesys.client import WrapupCodeResolver  # noqa: PLC0415

    s = crm_sync_settings()
    dynamodb = client("dynamodb")
    return CrmSyncService(
        crm_sink(),
        DynamoSyncStatusStore(dynamodb, s.call_records_table),
        WrapupCodeResolver(genesys_client(), s.wrapup_code_overrides),
        DynamoBreakerStore(dynamodb, s.worker_state_table, s.crm_sink),
        breaker_policy=BreakerPolicy(s.breaker_threshold, s.breaker_cooldown_s),
        retry=_retry_policy(),
        request_timeout_s=s.http_timeout_s,
        linker=contact_linker(),
    )


def contact_linker() -> ContactLinker | None:
    """Contact linking, when the CRM's connection document has a ``lookup`` section (issue 18)."""
    from cxbridge.crm.contact_link import ContactLinker  # noqa: PLC0415

    if contact_directory() is None:
        return None
    s = lookup_settings()
    return ContactLinker(
        genesys_client(), lookup_service(), deadline_s=s.assist_deadline_s, budget_s=s.contact_link_budget_s
    )


@lru_cache(maxsize=1)
def reconciler() -> Reconciler:
    """The scheduled pass over stranded records; with Automation Anywhere, it asks the Control Room too."""
    from cxbridge.calls.store import DynamoSyncStatusStore  # noqa: PLC0415
    from cxbridge.core.sqs import SqsQueue  # noqa: PLC0415
    from cxbridge.crm.automation_anywhere import AutomationAnywhereSink  # noqa: PLC0415
    from cxbridge.crm.automation_anywhere_wlm import AutomationAnywhereWorkQueueSink  # noqa: PLC0415
    from cxbridge.crm.reconciler import BotPath, Reconciler, RelinkPolicy, worst_case_s  # noqa: PLC0415

    s = crm_sync_settings()
    sink = crm_sink()
    bot_sinks = (AutomationAnywhereSink, AutomationAnywhereWorkQueueSink)
    bots = BotPath(bot_ledger(), sink, bot_callback_service()) if isinstance(sink, bot_sinks) else None
    # Relinking (issue 18) only where the worker links: a connection document with a ``lookup`` section.
    linking = bots is None and "lookup" in json_parameter(s.crm_config_parameter, s.secrets_max_age_s)
    after_s = s.lookup_cache_ttl_s if s.relink_after_s is None else s.relink_after_s
    return Reconciler(
        DynamoSyncStatusStore(client("dynamodb"), s.call_records_table),
        SqsQueue(client("sqs"), s.crm_sync_queue_url),
        worst_case_s=worst_case_s(_retry_policy(), s.bot_run_budget_s),
        lookback_days=s.reconcile_lookback_days,
        bots=bots,
        relink=RelinkPolicy(after_s=after_s, max_relinks=s.max_relinks) if linking and s.max_relinks else None,
    )


@lru_cache(maxsize=1)
def genesys_client() -> GenesysClient:
    """A Genesys API client for the configured region (or the local sandbox), its token cached."""
    from cxbridge.genesys.client import GenesysClient  # noqa: PLC0415
    from cxbridge.genesys.connection import connect  # noqa: PLC0415

    s = crm_sync_settings()
    secret = json_secret(s.genesys_secret_name, s.secrets_max_age_s)
    genesys = connect(secret, region=s.genesys_region, base_url=s.genesys_base_url, timeout_s=s.http_timeout_s)
    return GenesysClient(genesys.tokens, genesys.api_url, timeout_s=s.http_timeout_s)


@lru_cache(maxsize=1)
def bot_ledger() -> DynamoBotDeploymentLedger:
    from cxbridge.crm.worker_state import DynamoBotDeploymentLedger  # noqa: PLC0415

    s = crm_sync_settings()
    return DynamoBotDeploymentLedger(client("dynamodb"), s.worker_state_table, s.crm_sink)


@lru_cache(maxsize=1)
def queue_actions() -> SqsQueue:
    from cxbridge.core.sqs import SqsQueue  # noqa: PLC0415

    s = crm_sync_settings()
    return SqsQueue(client("sqs"), s.crm_sync_queue_url, s.crm_sync_dlq_url)


@lru_cache(maxsize=1)
def bot_callback_service() -> BotCallbackService:
    from cxbridge.calls.store import DynamoSyncStatusStore  # noqa: PLC0415
    from cxbridge.core.sqs import SqsQueue  # noqa: PLC0415
    from cxbridge.crm.bot_callback import BotCallbackService  # noqa: PLC0415

    s = crm_sync_settings()
    records = DynamoSyncStatusStore(client("dynamodb"), s.call_records_table)
    jobs = SqsQueue(client("sqs"), s.crm_sync_queue_url)
    keys = read_keys(s.bot_callback_secret_name, s.secrets_max_age_s)
    return BotCallbackService(bot_ledger(), records, queue_actions(), jobs, keys=keys)


@lru_cache(maxsize=1)
def contact_directory() -> ContactDirectory | None:
    """The CRM's customer records, from the sink's connection document's ``lookup`` (None without one)."""
    from cxbridge.crm.directories import build_directory  # noqa: PLC0415

    s = lookup_settings()
    if s.crm_sink == "automation_anywhere":
        return None
    connection = json_parameter(s.crm_config_parameter, s.secrets_max_age_s)
    secret = json_secret(s.crm_secret_name, s.secrets_max_age_s)
    return build_directory(s.crm_sink, connection, secret, timeout_s=s.http_timeout_s)


@lru_cache(maxsize=1)
def lookup_service() -> LookupService:
    """Customer lookups: the DynamoDB cache and the sink's breaker in the worker-state table, the CRM behind."""
    from cxbridge.crm.breaker import BreakerPolicy  # noqa: PLC0415
    from cxbridge.crm.lookup_cache import DynamoLookupCache  # noqa: PLC0415
    from cxbridge.crm.lookup_service import LookupService  # noqa: PLC0415
    from cxbridge.crm.worker_state import DynamoBreakerStore  # noqa: PLC0415

    s = lookup_settings()
    dynamodb = client("dynamodb")
    cache = DynamoLookupCache(
        dynamodb,
        s.worker_state_table,
        s.crm_sink,
        salt=lambda: read_keys(s.lookup_salt_secret_name, s.secrets_max_age_s).current,
        ttl_s=s.lookup_cache_ttl_s,
    )
    return LookupService(
        contact_directory,
        cache,
        DynamoBreakerStore(dynamodb, s.worker_state_table, s.crm_sink),
        breaker_policy=BreakerPolicy(s.breaker_threshold, s.breaker_cooldown_s),
    )


wiring.register(
    outbox_service.cache_clear,
    crm_sink.cache_clear,
    crm_sync_service.cache_clear,
    reconciler.cache_clear,
    genesys_client.cache_clear,
    bot_ledger.cache_clear,
    queue_actions.cache_clear,
    bot_callback_service.cache_clear,
    contact_directory.cache_clear,
    lookup_service.cache_clear,
)
