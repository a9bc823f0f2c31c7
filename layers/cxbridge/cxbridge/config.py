"""Settings read from the environment once, validated, and shared through cached getters.

Each function reads only the group it needs, so a missing variable fails the cold start of the
function that uses it and nothing else.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, Json


class _EnvGroup(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class IngestSettings(_EnvGroup):
    """What the ingestion handlers need."""

    call_records_table: str = Field(alias="CALL_RECORDS_TABLE", min_length=1)
    record_retention_days: int = Field(default=90, alias="RECORD_RETENTION_DAYS", ge=1, le=3650)
    max_body_bytes: int = Field(default=262_144, alias="MAX_BODY_BYTES", ge=1024)


class OutboxSettings(_EnvGroup):
    """What the call-record stream relay needs to queue CRM-sync jobs."""

    crm_sync_queue_url: str = Field(alias="CRM_SYNC_QUEUE_URL", min_length=1)


class CrmSyncSettings(_EnvGroup):
    """What the CRM-sync worker and the bot callback need. Credentials live in Secrets Manager, the CRM's
    URLs and field mapping in an SSM parameter (JSON): only their names are here."""

    call_records_table: str = Field(alias="CALL_RECORDS_TABLE", min_length=1)
    worker_state_table: str = Field(alias="WORKER_STATE_TABLE", min_length=1)
    crm_sync_queue_url: str = Field(alias="CRM_SYNC_QUEUE_URL", min_length=1)
    crm_sync_dlq_url: str = Field(alias="CRM_SYNC_DLQ_URL", min_length=1)
    crm_sink: Literal["salesforce", "dynamics", "automation_anywhere"] = Field(alias="CRM_SINK")
    crm_config_parameter: str = Field(alias="CRM_CONFIG_PARAMETER", min_length=1)
    crm_secret_name: str = Field(alias="CRM_SECRET_NAME", min_length=1)
    genesys_secret_name: str = Field(alias="GENESYS_SECRET_NAME", min_length=1)
    genesys_region: str = Field(default="us-east-1", alias="GENESYS_REGION")
    # Only for the local stack and tests: where the Genesys sandbox listens (login and API on one host).
    genesys_base_url: str | None = Field(default=None, alias="GENESYS_BASE_URL")
    wrapup_code_overrides: Json[dict[str, str]] = Field(default_factory=dict, alias="WRAPUP_CODE_OVERRIDES")
    max_receives: int = Field(default=10, alias="CRM_SYNC_MAX_RECEIVES", ge=1)
    backoff_base_s: float = Field(default=2.0, alias="CRM_BACKOFF_BASE_S", gt=0)
    backoff_cap_s: float = Field(default=900.0, alias="CRM_BACKOFF_CAP_S", gt=0)
    breaker_threshold: int = Field(default=5, alias="CRM_BREAKER_THRESHOLD", ge=1)
    breaker_cooldown_s: float = Field(default=60.0, alias="CRM_BREAKER_COOLDOWN_S", gt=0)
    http_timeout_s: float = Field(default=5.0, alias="HTTP_TIMEOUT_S", gt=0, le=60)
    bot_callback_url: str | None = Field(default=None, alias="BOT_CALLBACK_URL")
    secrets_max_age_s: int = Field(default=300, alias="SECRETS_MAX_AGE_S", ge=0)


@lru_cache(maxsize=1)
def crm_sync_settings() -> CrmSyncSettings:
    """CRM-sync settings, parsed from the environment on first use."""
    return CrmSyncSettings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def ingest_settings() -> IngestSettings:
    """Ingest settings, parsed from the environment on first use."""
    return IngestSettings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def outbox_settings() -> OutboxSettings:
    """Outbox settings, parsed from the environment on first use."""
    return OutboxSettings.model_validate(dict(os.environ))


class ToilSettings(_EnvGroup):
    """What the toil report needs (the route and the daily run). Thresholds are the seed guide's rule;
    Genesys is asked for wrap-up code names, and for the totals themselves with ``TOIL_SOURCE=genesys-analytics``."""

    call_records_table: str = Field(alias="CALL_RECORDS_TABLE", min_length=1)
    reports_table: str = Field(alias="TOIL_REPORTS_TABLE", min_length=1)
    topic_arn: str = Field(alias="TOIL_TOPIC_ARN", min_length=1)
    source: Literal["records", "genesys-analytics"] = Field(default="records", alias="TOIL_SOURCE")
    share_threshold_pct: float = Field(default=15.0, alias="TOIL_SHARE_THRESHOLD_PCT", gt=0, lt=100)
    aht_threshold_s: float = Field(default=300.0, alias="TOIL_AHT_THRESHOLD_S", gt=0)
    automation_rate: float = Field(default=1.0, alias="TOIL_AUTOMATION_RATE", gt=0, le=1)
    report_days: int = Field(default=1, alias="TOIL_REPORT_DAYS", ge=1, le=31)
    report_scope: Literal["org", "queue"] = Field(default="org", alias="TOIL_REPORT_SCOPE")
    genesys_secret_name: str = Field(alias="GENESYS_SECRET_NAME", min_length=1)
    genesys_region: str = Field(default="us-east-1", alias="GENESYS_REGION")
    # Only for the local stack and tests: where the Genesys sandbox listens (login and API on one host).
    genesys_base_url: str | None = Field(default=None, alias="GENESYS_BASE_URL")
    wrapup_code_overrides: Json[dict[str, str]] = Field(default_factory=dict, alias="WRAPUP_CODE_OVERRIDES")
    http_timeout_s: float = Field(default=10.0, alias="TOIL_HTTP_TIMEOUT_S", gt=0, le=25)
    secrets_max_age_s: int = Field(default=300, alias="SECRETS_MAX_AGE_S", ge=0)


@lru_cache(maxsize=1)
def toil_settings() -> ToilSettings:
    """Toil settings, parsed from the environment on first use."""
    return ToilSettings.model_validate(dict(os.environ))


# ---- workitem SLA orchestration (issue 5) ------------------------------------------------------------


class WorkitemSettings(_EnvGroup):
    """What every workitem function needs: the table, the worktype mapping, the callback queue; the state
    machine (to start and stop escalations) and the supervisors' topic where a function uses them."""

    workitems_table: str = Field(alias="WORKITEMS_TABLE", min_length=1)
    retention_days: int = Field(default=30, alias="WORKITEM_RETENTION_DAYS", ge=1, le=3650)
    callback_queue_url: str = Field(alias="WORKITEM_CALLBACK_QUEUE_URL", min_length=1)
    worktypes_parameter: str = Field(default="", alias="WORKITEM_WORKTYPES_PARAMETER")
    state_machine_arn: str = Field(default="", alias="WORKITEM_STATE_MACHINE_ARN")
    supervisor_topic_arn: str = Field(default="", alias="WORKITEM_SUPERVISOR_TOPIC_ARN")
    callback_hosts: str = Field(default="", alias="WORKITEM_CALLBACK_ALLOWED_HOSTS", description="comma-separated")
    claim_lease_s: float = Field(default=60.0, alias="WORKITEM_CLAIM_LEASE_S", gt=0)
    parameters_max_age_s: int = Field(default=300, alias="SECRETS_MAX_AGE_S", ge=0)

    def allowed_callback_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.callback_hosts.split(",") if h.strip())


class WorkitemGenesysSettings(_EnvGroup):
    """The Genesys org the workitem API and the SLA step call (same secret and region as the CRM worker)."""

    genesys_secret_name: str = Field(alias="GENESYS_SECRET_NAME", min_length=1)
    genesys_region: str = Field(default="us-east-1", alias="GENESYS_REGION")
    # Only for the local stack and tests: where the Genesys sandbox listens (login and API on one host).
    genesys_base_url: str | None = Field(default=None, alias="GENESYS_BASE_URL")
    http_timeout_s: float = Field(default=5.0, alias="HTTP_TIMEOUT_S", gt=0, le=60)
    retry_budget_s: float = Field(default=2.0, alias="GENESYS_RETRY_BUDGET_S", ge=0, le=60)
    secrets_max_age_s: int = Field(default=300, alias="SECRETS_MAX_AGE_S", ge=0)


@lru_cache(maxsize=1)
def workitem_settings() -> WorkitemSettings:
    """Workitem settings, parsed from the environment on first use."""
    return WorkitemSettings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def workitem_genesys_settings() -> WorkitemGenesysSettings:
    """Genesys settings of the workitem functions, parsed from the environment on first use."""
    return WorkitemGenesysSettings.model_validate(dict(os.environ))
