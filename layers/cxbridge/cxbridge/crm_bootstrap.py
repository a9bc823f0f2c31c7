"""Composition root of the CRM-sync worker and the bot callback (kept apart so ingest stays light)."""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools.utilities import parameters

from cxbridge import bootstrap
from cxbridge.adapters.aws import client
from cxbridge.adapters.crm_sinks import ClientCredentials, build_sink
from cxbridge.adapters.dynamodb import DynamoSyncStatusStore
from cxbridge.adapters.genesys import GenesysClient, WrapupCodeResolver
from cxbridge.adapters.oauth import GenesysTokenSource, TokenCache
from cxbridge.adapters.sqs import SqsQueueActions
from cxbridge.adapters.worker_state import DynamoBotDeploymentLedger, DynamoBreakerStore
from cxbridge.config import crm_sync_settings
from cxbridge.domain.breaker import BreakerPolicy
from cxbridge.services.bot_callback import BotCallbackService
from cxbridge.services.crm_sync import CrmSyncService, RetryPolicy


@lru_cache(maxsize=1)
def crm_sync_service() -> CrmSyncService:
    """The worker's service: sink, call records, wrap-up names and breaker, from settings and secrets."""
    s = crm_sync_settings()
    dynamodb = client("dynamodb")
    connection = parameters.get_parameter(s.crm_config_parameter, transform="json", max_age=s.secrets_max_age_s)
    secret = parameters.get_secret(s.crm_secret_name, transform="json", max_age=s.secrets_max_age_s)
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
    s = crm_sync_settings()
    creds = ClientCredentials.model_validate(
        parameters.get_secret(s.genesys_secret_name, transform="json", max_age=s.secrets_max_age_s)
    )
    secret = creds.client_secret.get_secret_value()
    if s.genesys_base_url:
        tokens = TokenCache(GenesysTokenSource(s.genesys_base_url, creds.client_id, secret), timeout_s=s.http_timeout_s)
        return GenesysClient(tokens, s.genesys_base_url, timeout_s=s.http_timeout_s)
    return GenesysClient.for_region(s.genesys_region, creds.client_id, secret, timeout_s=s.http_timeout_s)


@lru_cache(maxsize=1)
def bot_ledger() -> DynamoBotDeploymentLedger:
    s = crm_sync_settings()
    return DynamoBotDeploymentLedger(client("dynamodb"), s.worker_state_table, s.crm_sink)


@lru_cache(maxsize=1)
def queue_actions() -> SqsQueueActions:
    s = crm_sync_settings()
    return SqsQueueActions(client("sqs"), s.crm_sync_queue_url, s.crm_sync_dlq_url)


@lru_cache(maxsize=1)
def bot_callback_service() -> BotCallbackService:
    s = crm_sync_settings()
    return BotCallbackService(
        bot_ledger(), DynamoSyncStatusStore(client("dynamodb"), s.call_records_table), queue_actions()
    )


bootstrap.register(
    crm_sync_service.cache_clear,
    genesys_client.cache_clear,
    bot_ledger.cache_clear,
    queue_actions.cache_clear,
    bot_callback_service.cache_clear,
    crm_sync_settings.cache_clear,
    parameters.clear_caches,
)
