"""Worktype mapping: what a source system's worktype key means in Genesys and how it escalates.

The document (``cxbridge/workitems/worktypes.json``, or an SSM parameter that overrides it) maps each key to the
Genesys ``typeId``, queue, workbin, skills, default priority and SLA, the statuses our lifecycle actions
set, the custom-field schema (key → Genesys core type) and the escalation ladder. It is validated as a
whole when loaded, so a bad ladder fails the cold start, not a workitem's third escalation step.
"""

# No ``from __future__ import annotations``: pydantic evaluates annotations at class creation, and strings
# are compiled there, at cold start (docs/decisions.md, issue 15).

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cxbridge.workitems.sla import (
    MAX_PERCENT,
    MAX_SLA_SECONDS,
    PRIORITY_MAX,
    PRIORITY_MIN,
    Ladder,
    LadderError,
    LadderStep,
)

Priority = Annotated[int, Field(ge=PRIORITY_MIN, le=PRIORITY_MAX)]
GenesysId = Annotated[str, Field(min_length=1, max_length=64)]
CORE_TYPES = frozenset(
    {"text", "longtext", "url", "identifier", "enum", "integer", "number", "checkbox", "date", "datetime", "tag"}
)


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class EscalationStepConfig(_Config):
    """One rung of the ladder."""

    name: str = Field(min_length=1, max_length=64)
    atPercent: float = Field(gt=0, le=MAX_PERCENT)
    queueId: GenesysId | None = None
    workbinId: GenesysId | None = None
    priorityBoost: int = Field(default=0, ge=0, le=PRIORITY_MAX - PRIORITY_MIN)
    notify: bool = False


class RepeatConfig(_Config):
    """Reprioritisation steps after the last rung: ``times`` more, every ``everyPercent`` of the SLA."""

    everyPercent: float = Field(gt=0, le=100)
    times: int = Field(ge=0, le=6)


class EscalationConfig(_Config):
    steps: list[EscalationStepConfig] = Field(default_factory=list)
    priorityRamp: int = Field(default=0, ge=0, le=PRIORITY_MAX - PRIORITY_MIN)
    afterLastStep: RepeatConfig | None = None


class LifecycleStatuses(_Config):
    """The Genesys ``statusId`` each lifecycle action moves the workitem to (the worktype's own statuses):
    ``paused`` is a Waiting-category status, ``completed`` and ``cancelled`` are Closed-category ones."""

    open: GenesysId
    paused: GenesysId
    completed: GenesysId
    cancelled: GenesysId


class WorktypeConfig(_Config):
    """One worktype key."""

    typeId: GenesysId
    queueId: GenesysId | None = None
    workbinId: GenesysId | None = None
    skillIds: list[GenesysId] = Field(default_factory=list, max_length=20)
    defaultPriority: Priority = 0
    slaSeconds: int = Field(gt=0, le=MAX_SLA_SECONDS)
    expiresAfterDueSeconds: int | None = Field(default=None, gt=0, le=MAX_SLA_SECONDS)
    statuses: LifecycleStatuses
    customFields: dict[str, str] = Field(default_factory=dict)
    escalation: EscalationConfig = Field(default_factory=EscalationConfig)

    @model_validator(mode="after")
    def _check(self) -> Self:
        unknown = sorted(set(self.customFields.values()) - CORE_TYPES)
        if unknown:
            raise ValueError(f"unknown custom-field core types: {unknown}")
        if not (self.queueId or self.workbinId):
            raise ValueError("a worktype needs a queueId or a workbinId")
        try:
            self.ladder()
        except LadderError as exc:
            raise ValueError(str(exc)) from None
        return self

    def ladder(self) -> Ladder:
        """The escalation ladder, with the reprioritisation repeats appended."""
        steps = tuple(
            LadderStep(s.name, s.atPercent, s.queueId, s.workbinId, s.priorityBoost, s.notify)
            for s in self.escalation.steps
        )
        repeat = self.escalation.afterLastStep
        return Ladder.with_repeats(
            steps, self.escalation.priorityRamp, repeat.everyPercent if repeat else None, repeat.times if repeat else 0
        )


class WorktypeDocument(_Config):
    """The whole mapping document."""

    version: int = Field(ge=1)
    worktypes: dict[Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")], WorktypeConfig]
