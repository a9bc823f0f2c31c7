"""What the transcript functions (outbox, worker) read from the environment."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, Json

from cxbridge.core.settings import EnvGroup, from_environment


class TranscriptOutboxSettings(EnvGroup):
    transcript_queue_url: str = Field(alias="TRANSCRIPT_QUEUE_URL", min_length=1)


class TranscriptSettings(EnvGroup):
    """The worker: Genesys login, the CRM connection (the CRM sink's SSM document and secret), the
    transcript mapping (non-secret JSON), the waits and the cap."""

    transcript_queue_url: str = Field(alias="TRANSCRIPT_QUEUE_URL", min_length=1)
    transcript_dlq_url: str = Field(alias="TRANSCRIPT_DLQ_URL", min_length=1)
    transcripts_table: str = Field(alias="TRANSCRIPTS_TABLE", min_length=1)
    retention_days: int = Field(default=90, alias="RECORD_RETENTION_DAYS", ge=1)
    crm_sink: Literal["salesforce", "dynamics", "automation_anywhere"] = Field(alias="CRM_SINK")
    crm_config_parameter: str = Field(alias="CRM_CONFIG_PARAMETER", min_length=1)
    crm_secret_name: str = Field(alias="CRM_SECRET_NAME", min_length=1)
    transcript_mapping: Json[dict[str, Any]] = Field(default_factory=dict, alias="TRANSCRIPT_MAPPING")
    genesys_secret_name: str = Field(alias="GENESYS_SECRET_NAME", min_length=1)
    genesys_region: str = Field(default="us-east-1", alias="GENESYS_REGION")
    genesys_base_url: str | None = Field(default=None, alias="GENESYS_BASE_URL")
    deadline_s: float = Field(default=86_400, alias="TRANSCRIPT_DEADLINE_S", gt=0)
    wait_base_s: float = Field(default=60, alias="TRANSCRIPT_WAIT_BASE_S", gt=0)
    wait_cap_s: float = Field(default=3_600, alias="TRANSCRIPT_WAIT_CAP_S", gt=0)
    max_chars: int = Field(default=32_000, alias="TRANSCRIPT_MAX_CHARS", ge=1_000, le=100_000)
    http_timeout_s: float = Field(default=5.0, alias="HTTP_TIMEOUT_S", gt=0, le=60)
    secrets_max_age_s: int = Field(default=300, alias="SECRETS_MAX_AGE_S", ge=0)


transcript_outbox_settings = from_environment(TranscriptOutboxSettings)
transcript_settings = from_environment(TranscriptSettings)
