"""Composition root of the toil report route and its daily run (kept apart so ingest stays light).

One Genesys login serves both the wrap-up code names and, with ``TOIL_SOURCE=genesys-analytics``, the
aggregates: the client and the analytics source share one ``TokenCache``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from cxbridge.core import wiring
from cxbridge.core.aws import client, json_secret
from cxbridge.core.observability import metrics
from cxbridge.toil.dynamodb import DynamoCallTallies, DynamoToilReportStore
from cxbridge.toil.metrics import CloudWatchToilMetrics
from cxbridge.toil.report import ToilRunService, ToilService
from cxbridge.toil.rules import Scope, ToilPolicy
from cxbridge.toil.settings import toil_settings
from cxbridge.toil.sns import SnsCandidateNotifier

if TYPE_CHECKING:
    from cxbridge.genesys.client import WrapupCodeResolver
    from cxbridge.genesys.connection import GenesysConnection
    from cxbridge.toil.genesys_analytics import GenesysAnalyticsTallies


@lru_cache(maxsize=1)
def genesys() -> GenesysConnection:
    """The Genesys login (the region's, or the local sandbox's), shared by the resolver and the analytics source."""
    from cxbridge.genesys.connection import connect  # noqa: PLC0415 - requests, only once a code is named

    s = toil_settings()
    secret = json_secret(s.genesys_secret_name, s.secrets_max_age_s)
    return connect(secret, region=s.genesys_region, base_url=s.genesys_base_url, timeout_s=s.http_timeout_s)


@lru_cache(maxsize=1)
def wrapup_codes() -> WrapupCodeResolver:
    """Wrap-up code names as the CRM shows them, through the shared Genesys login."""
    from cxbridge.genesys.client import GenesysClient, WrapupCodeResolver  # noqa: PLC0415 - see genesys()

    s, login = toil_settings(), genesys()
    client = GenesysClient(login.tokens, login.api_url, timeout_s=s.http_timeout_s)
    return WrapupCodeResolver(client, s.wrapup_code_overrides)


@lru_cache(maxsize=1)
def toil_service() -> ToilService:
    """Reports from the configured source, wrap-up codes named as the CRM names them (logged in on the
    first code to name: a period without coded calls reads no secret)."""
    s = toil_settings()
    if s.source == "genesys-analytics":
        from cxbridge.toil.genesys_analytics import GenesysAnalyticsTallies  # noqa: PLC0415 - not the default source

        login = genesys()
        source: DynamoCallTallies | GenesysAnalyticsTallies = GenesysAnalyticsTallies(
            login.tokens, login.api_url, timeout_s=s.http_timeout_s
        )
    else:
        source = DynamoCallTallies(client("dynamodb"), s.call_records_table)
    policy = ToilPolicy(s.share_threshold_pct, s.aht_threshold_s, s.automation_rate)
    return ToilService(source, wrapup_codes, policy, s.source)


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


wiring.register(
    wrapup_codes.cache_clear,
    toil_service.cache_clear,
    toil_run_service.cache_clear,
    genesys.cache_clear,
)
