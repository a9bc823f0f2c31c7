"""Settings read from the environment once, validated, and shared through cached getters.

Each function reads only the group it needs, so a missing variable fails the cold start of the
function that uses it and nothing else.
"""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


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


@lru_cache(maxsize=1)
def ingest_settings() -> IngestSettings:
    """Ingest settings, parsed from the environment on first use."""
    return IngestSettings.model_validate(dict(os.environ))


@lru_cache(maxsize=1)
def outbox_settings() -> OutboxSettings:
    """Outbox settings, parsed from the environment on first use."""
    return OutboxSettings.model_validate(dict(os.environ))
