"""What the CRM functions (outbox, worker, bot callback) read from the environment."""

# No ``from __future__ import annotations``: pydantic evaluates annotations at class creation, and strings
# are compiled there, at cold start (docs/decisions.md, issue 15).

from typing import Literal

from pydantic import Field, Json

from cxbridge.core.settings import EnvGroup, from_environment


class OutboxSettings(EnvGroup):
    """What the call-record stream relay needs to queue CRM-sync jobs."""

    crm_sync_queue_url: str = Field(alias="CRM_SYNC_QUEUE_URL", min_length=1)


class CrmSyncSettings(EnvGroup):
    """What the CRM-sync worker and the bot callback need. Credentials live in Secrets Manager, the CRM's
    URLs and field mapping in an SSM parameter (JSON): only their names are here."""

    call_records_table: str = Field(alias="CALL_RECORDS_TABLE", min_length=1)
    worker_state_table: str = Field(alias="WORKER_STATE_TABLE", min_length=1)
    crm_sync_queue_url: str = Field(alias="CRM_SYNC_QUEUE_URL", min_length=1)
    crm_sync_dlq_url: str = Field(alias="CRM_SYNC_DLQ_URL", min_length=1)
    crm_sink: Literal["salesforce", "dynamics", "automation_anywhere"] = Field(alias="CRM_SINK")
    # Automation Anywhere: a bot deployed per call, or work items added to a WLM queue (issue 16).
    aa_mode: Literal["deploy", "workqueue"] = Field(default="deploy", alias="AA_MODE")
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
    # The key of the per-deployment callback tokens (Secrets Manager: {"current", "previous"}).
    bot_callback_secret_name: str = Field(default="", alias="BOT_CALLBACK_SECRET_NAME")
    secrets_max_age_s: int = Field(default=300, alias="SECRETS_MAX_AGE_S", ge=0)
    # The reconciler: how long a bot run may take, and how many UTC call dates back it searches.
    bot_run_budget_s: float = Field(default=3600.0, alias="CRM_BOT_RUN_BUDGET_S", gt=0)
    reconcile_lookback_days: int = Field(default=2, alias="CRM_RECONCILE_LOOKBACK_DAYS", ge=1, le=14)
    # Relinking (issue 18): a call synced without its contact link is reopened after this many seconds
    # (None: the lookup cache's lifetime, so a cached "not found" has expired), at most this many times.
    relink_after_s: float | None = Field(default=None, alias="CRM_RELINK_AFTER_S", ge=0)
    max_relinks: int = Field(default=3, alias="CRM_MAX_RELINKS", ge=0, le=10)
    lookup_cache_ttl_s: int = Field(default=3600, alias="LOOKUP_CACHE_TTL_S", ge=60)


class LookupSettings(EnvGroup):
    """What customer lookups need (the assist route; issue 18): the CRM's documents, the cache and the breaker."""

    worker_state_table: str = Field(alias="WORKER_STATE_TABLE", min_length=1)
    crm_sink: Literal["salesforce", "dynamics", "automation_anywhere"] = Field(alias="CRM_SINK")
    crm_config_parameter: str = Field(alias="CRM_CONFIG_PARAMETER", min_length=1)
    crm_secret_name: str = Field(alias="CRM_SECRET_NAME", min_length=1)
    # The key of the cache's salted hashes (Secrets Manager: {"current": ...}).
    lookup_salt_secret_name: str = Field(alias="LOOKUP_SALT_SECRET_NAME", min_length=1)
    lookup_cache_ttl_s: int = Field(default=3600, alias="LOOKUP_CACHE_TTL_S", ge=60)
    assist_deadline_s: float = Field(default=3.0, alias="ASSIST_DEADLINE_S", gt=0, le=4.5)
    # The worker: how long one request's calls may wait for their contacts, on top of the request itself.
    contact_link_budget_s: float = Field(default=5.0, alias="CONTACT_LINK_BUDGET_S", gt=0, le=20)
    http_timeout_s: float = Field(default=5.0, alias="HTTP_TIMEOUT_S", gt=0, le=60)
    breaker_threshold: int = Field(default=5, alias="CRM_BREAKER_THRESHOLD", ge=1)
    breaker_cooldown_s: float = Field(default=60.0, alias="CRM_BREAKER_COOLDOWN_S", gt=0)
    secrets_max_age_s: int = Field(default=300, alias="SECRETS_MAX_AGE_S", ge=0)


outbox_settings = from_environment(OutboxSettings)
crm_sync_settings = from_environment(CrmSyncSettings)
lookup_settings = from_environment(LookupSettings)
