"""The bot callback's body: a deployment's result from the Control Room, or a WLM bot's for its work item."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from cxbridge.crm.work_queue import work_item_ref


class BotRunResult(BaseModel):
    """The Control Room's callback body (a deployment's), or a WLM bot's for its work item (``queueId``
    and ``workItemId``, its ``result`` the bot's reason); only these fields are read."""

    model_config = ConfigDict(extra="ignore", hide_input_in_errors=True, defer_build=True)

    queueId: int | None = Field(default=None, ge=1)
    workItemId: str | None = Field(default=None, min_length=1, max_length=64)
    deploymentId: str | None = Field(default=None, min_length=1, max_length=128, validate_default=True)
    status: str = Field(min_length=1, max_length=64)
    result: str | None = Field(default=None, max_length=1000)

    @field_validator("deploymentId")
    @classmethod
    def _names_a_run(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and (info.data.get("queueId") is None or info.data.get("workItemId") is None):
            raise ValueError("deploymentId, or queueId and workItemId, is required")
        return value

    @property
    def run_id(self) -> str:
        if self.deploymentId is not None:
            return self.deploymentId
        return work_item_ref(str(self.queueId), str(self.workItemId))
