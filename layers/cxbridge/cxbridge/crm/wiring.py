"""Composition root of the CRM feature: the job outbox, the sync worker and the bot callback.

Each function builds, and imports, only what it uses: the outbox needs a queue, not the sinks, the
Genesys login or Powertools Parameters (their imports are cold start it would pay for nothing).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from cxbridge.core import wiring
from cxbridge.core.aws import client, json_parameter, json_secret
from cxbridge.crm.settings import crm_sync_settings, outbox_settings

if TYPE_CHECKING:
    from cxbridge.crm.bot_callback import BotCallbackService
    from cxbridge.crm.outbox import OutboxService
    from cxbridge.crm.queue import SqsQueueActions
    from cxbridge.crm.sync import CrmSyncService
    from cxbridge.crm.worker_state import DynamoBotDeploymentLedger
    from cxbridge.genesys.client import GenesysClient


@lru_cache(maxsize=1)
def outbox_service() -> OutboxService:
    """The stream relay: call-record changes in, CRM-sync jobs out."""
    from cxbridge.crm.outbox import OutboxService  # noqa: PLC0415
    from cxbridge.crm.queue import SqsJobQueue  # noqa: PLC0415

    return OutboxService(SqsJobQueue(client("sqs"), outbox_settings().crm_sync_queue_url))


@lru_cache(maxsize=1)
def crm_sync_service() -> CrmSyncService:
    """The worker's service: sink, call records, wrap-up names and breaker, from settings and secrets."""
    from cxbridge.calls.store import DynamoSyncStatusStore  # noqa: PLC0415
    from cxbridge.crm.breaker import BreakerPolicy  # noqa: PLC0415
    from cxbridge.crm.sinks import build_sink  # noqa: PLC0415
    from cxbridge.crm.sync import CrmSyncService, RetryPolicy  # noqa: PLC0415
    from cxbridge.crm.worker_state import DynamoBreakerStore  # noqa: PLC0415
    from cxbridge.genesys.client import WrapupCodeResolver  # noqa: PLC0415

    s = crm_sync_settings()
    dynamodb = client("dynamodb")
    connection = json_parameter(s.crm_config_parameter, s.secrets_max_age_s)
    secret = json_secret(s.crm_secret_name, s.secrets_max_age_s)
    sink = build_sink(
        s.crm_sink,
        connection,
        secret,
        timeout_s=s.http_timeout_s,
        ledger=bot_ledger(),
        callback_url=s.bot_callback_url,
    )
    return CrmSyncService(
        sink,
        DynamoSyncStatusStore(dynamodb, s.call_records_table),
        WrapupCodeResolver(genesys_client(), s.wrapup_code_overrides),
        DynamoBreakerStore(dynamodb, s.worker_state_table, s.crm_sink),
        breaker_policy=BreakerPolicy(s.breaker_threshold, s.breaker_cooldown_s),
        retry=RetryPolicy(s.backoff_base_s, s.backoff_cap_s, s.max_receives),
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
def queue_actions() -> SqsQueueActions:
    from cxbridge.crm.queue import SqsQueueActions  # noqa: PLC0415

    s = crm_sync_settings()
    return SqsQueueActions(client("sqs"), s.crm_sync_queue_url, s.crm_sync_dlq_url)


@lru_cache(maxsize=1)
def bot_callback_service() -> BotCallbackService:
    from cxbridge.calls.store import DynamoSyncStatusStore  # noqa: PLC0415
    from cxbridge.crm.bot_callback import BotCallbackService  # noqa: PLC0415

    s = crm_sync_settings()
    return BotCallbackService(
        bot_ledger(), DynamoSyncStatusStore(client("dynamodb"), s.call_records_table), queue_actions()
    )


wiring.register(
    outbox_service.cache_clear,
    crm_sync_service.cache_clear,
    genesys_client.cache_clear,
    bot_ledger.cache_clear,
    queue_actions.cache_clear,
    bot_callback_service.cache_clear,
)
