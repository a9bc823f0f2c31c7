"""What the workitem functions read from the environment."""

# No ``from __future__ import annotations``: pydantic evaluates annotations at class creation, and strings
# are compiled there, at cold start (docs/decisions.md, issue 15).

from pydantic import Field

from cxbridge.core.settings import EnvGroup, from_environment


class WorkitemSettings(EnvGroup):
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
    # The key workitem ids are derived with (Secrets Manager): only the capture point needs it.
    id_secret_name: str = Field(default="", alias="WORKITEM_ID_SECRET_NAME")
    parameters_max_age_s: int = Field(default=300, alias="SECRETS_MAX_AGE_S", ge=0)

    def allowed_callback_hosts(self) -> frozenset[str]:
        return frozenset(h.strip().lower() for h in self.callback_hosts.split(",") if h.strip())


class WorkitemGenesysSettings(EnvGroup):
    """The Genesys org the workitem API and the SLA step call (same secret and region as the CRM worker)."""

    genesys_secret_name: str = Field(alias="GENESYS_SECRET_NAME", min_length=1)
    genesys_region: str = Field(default="us-east-1", alias="GENESYS_REGION")
    # Only for the local stack and tests: where the Genesys sandbox listens (login and API on one host).
    genesys_base_url: str | None = Field(default=None, alias="GENESYS_BASE_URL")
    http_timeout_s: float = Field(default=5.0, alias="HTTP_TIMEOUT_S", gt=0, le=60)
    retry_budget_s: float = Field(default=2.0, alias="GENESYS_RETRY_BUDGET_S", ge=0, le=60)
    secrets_max_age_s: int = Field(default=300, alias="SECRETS_MAX_AGE_S", ge=0)


workitem_settings = from_environment(WorkitemSettings)
workitem_genesys_settings = from_environment(WorkitemGenesysSettings)
