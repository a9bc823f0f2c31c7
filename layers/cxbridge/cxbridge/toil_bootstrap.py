"""Composition root of the toil report route and its daily run (kept apart so ingest stays light).

One Genesys login serves both the wrap-up code names and, with ``TOIL_SOURCE=genesys-analytics``, the
aggregates: the client and the analytics source share one ``TokenCache``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities import parameters

from cxbridge import bootstrap
from cxbridge.adapters.aws import client
from cxbridge.adapters.genesys import GenesysClient, WrapupCodeResolver, region_domain
from cxbridge.adapters.genesys_analytics import GenesysAnalyticsTallies
from cxbridge.adapters.oauth import GenesysTokenSource, TokenCache
from cxbridge.adapters.toil_dynamodb import DynamoCallTallies, DynamoToilReportStore
from cxbridge.adapters.toil_metrics import CloudWatchToilMetrics
from cxbridge.adapters.toil_sns import SnsCandidateNotifier
from cxbridge.config import toil_settings
from cxbridge.domain.toil import Scope, ToilPolicy
from cxbridge.observability import metrics
from cxbridge.services.toil import ToilRunService, ToilService


def _client_credentials(secret: Any) -> tuple[str, str]:
    """The Genesys secret, in the CRM worker's format ``{"client_id", "client_secret"}`` (read here without
    the CRM adapters' module, which the toil functions' cold start need not pay for)."""
    if isinstance(secret, dict):
        client_id, client_secret = secret.get("client_id"), secret.get("client_secret")
        if isinstance(client_id, str) and client_id and isinstance(client_secret, str) and client_secret:
            return client_id, client_secret
    raise ValueError("the Genesys secret must be a JSON object with client_id and client_secret")


@lru_cache(maxsize=1)
def genesys_tokens() -> tuple[TokenCache, str]:
    """The Genesys token cache and API base URL (the region's, or the local sandbox's)."""
    s = toil_settings()
    client_id, client_secret = _client_credentials(
        parameters.get_secret(s.genesys_secret_name, transform="json", max_age=s.secrets_max_age_s)
    )
    if s.genesys_base_url:
        login_url = api_url = s.genesys_base_url
    else:
        domain = region_domain(s.genesys_region)
        login_url, api_url = f"https://login.{domain}", f"https://api.{domain}"
    source = GenesysTokenSource(login_url, client_id, client_secret)
    return TokenCache(source, timeout_s=s.http_timeout_s), api_url


@lru_cache(maxsize=1)
def toil_service() -> ToilService:
    """Reports from the configured source, wrap-up codes named as the CRM names them."""
    s = toil_settings()
    tokens, api_url = genesys_tokens()
    resolver = WrapupCodeResolver(GenesysClient(tokens, api_url, timeout_s=s.http_timeout_s), s.wrapup_code_overrides)
    if s.source == "genesys-analytics":
        source: DynamoCallTallies | GenesysAnalyticsTallies = GenesysAnalyticsTallies(
            tokens, api_url, timeout_s=s.http_timeout_s
        )
    else:
        source = DynamoCallTallies(client("dynamodb"), s.call_records_table)
    policy = ToilPolicy(s.share_threshold_pct, s.aht_threshold_s, s.automation_rate)
    return ToilService(source, resolver, policy, s.source)


@lru_cache(maxsize=1)
def toil_run_service() -> ToilRunService:
    """The daily run: the report service plus the reports table, the topic and the function's metrics."""
    s = toil_settings()
    return ToilRunService(
        toil_service(),
        DynamoToilReportStore(client("dynamodb"), s.reports_table),
        SnsCandidateNotifier(client("sns"), s.topic_arn),
        CloudWatchToilMetrics(metrics),
        days=s.report_days,
        scope=Scope(s.report_scope),
    )


bootstrap.register(
    toil_service.cache_clear,
    toil_run_service.cache_clear,
    genesys_tokens.cache_clear,
    toil_settings.cache_clear,
    parameters.clear_caches,
)
