"""What the ingestion handlers read from the environment."""

# No ``from __future__ import annotations``: pydantic evaluates annotations at class creation, and strings
# are compiled there, at cold start (docs/decisions.md, issue 15).

from pydantic import Field

from cxbridge.core.settings import EnvGroup, from_environment


class IngestSettings(EnvGroup):
    """What the ingestion handlers need."""

    call_records_table: str = Field(alias="CALL_RECORDS_TABLE", min_length=1)
    record_retention_days: int = Field(default=90, alias="RECORD_RETENTION_DAYS", ge=1, le=3650)
    max_body_bytes: int = Field(default=262_144, alias="MAX_BODY_BYTES", ge=1024)
    max_future_skew_s: int = Field(default=300, alias="CALL_EVENT_MAX_FUTURE_SKEW_S", ge=0, le=86_400)


ingest_settings = from_environment(IngestSettings)
