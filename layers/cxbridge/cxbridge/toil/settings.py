"""What the toil functions read from the environment."""

# No ``from __future__ import annotations``: pydantic evaluates annotations at class creation, and strings
# are compiled there, at cold start (docs/decisions.md, issue 15).

from typing import Literal

from pydantic import Field, Json

from cxbridge.core.settings import EnvGroup, from_environment


class ToilSettings(EnvGroup):
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


toil_settings = from_environment(ToilSettings)
