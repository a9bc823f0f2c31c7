"""The workitem capture point's request and response bodies, and the Genesys workitem topic event.

Request models forbid unknown fields, so a misspelt field is a 400 naming it rather than a silently
dropped value. The event model follows ``WorkitemsEventsNotificationWorkitem`` (dates and custom-field
values are strings there) and ignores fields Genesys adds later.
"""

# No ``from __future__ import annotations``: pydantic evaluates annotations at class creation, and strings
# are compiled there, at cold start (half of this module's import time; docs/decisions.md, issue 15).
from datetime import datetime
from typing import Annotated, Any, Literal, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl, model_validator

from cxbridge.workitems.sla import MAX_SLA_SECONDS, PRIORITY_MAX, PRIORITY_MIN
from cxbridge.workitems.workitem import StatusCategory, SyncState, WorkitemRecord, WorkitemSnapshot

Priority = Annotated[int, Field(ge=PRIORITY_MIN, le=PRIORITY_MAX, description="Higher is routed first.")]
Name = Annotated[str, Field(min_length=3, max_length=256)]
Description = Annotated[str, Field(max_length=512)]
CustomValue = str | int | float | bool | list[str]
WORKITEM_TOPIC_PREFIX = "v2.taskmanagement.workitems."


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True, defer_build=True)


class Sla(_Request):
    """When the work is due: an absolute date, or seconds from capture. Omitted: the worktype's SLA."""

    dueAt: AwareDatetime | None = None
    durationSeconds: int | None = Field(default=None, gt=0, le=MAX_SLA_SECONDS)

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.dueAt is None) == (self.durationSeconds is None):
            raise ValueError("give exactly one of dueAt and durationSeconds")
        return self


class CustomerContext(_Request):
    """Who the work is for, as Genesys ids (the customer's data stays in the source system)."""

    externalContactId: UUID | None = None
    languageId: UUID | None = None
    preferredAgentIds: list[UUID] = Field(default_factory=list, max_length=20)


class CaptureRequest(_Request):
    """``POST /workitems``: work from a source system. Idempotent on (the calling client, ``sourceId``): the
    owner is who the token says is calling, never a field of the body."""

    sourceId: str = Field(min_length=1, max_length=128, description="The source's id; Genesys externalTag.")
    worktype: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$", description="A key of the worktype mapping.")
    name: Name
    description: Description | None = None
    sla: Sla | None = None
    expiresAt: AwareDatetime | None = None
    priority: Priority | None = None
    customer: CustomerContext | None = None
    customFields: dict[str, CustomValue] = Field(default_factory=dict)
    callbackUrl: HttpUrl | None = Field(default=None, description="Where the outcome is POSTed on close.")


class UpdateRequest(_Request):
    """Change what the source system owns; an SLA change reschedules the remaining escalation steps."""

    action: Literal["update"]
    name: Name | None = None
    description: Description | None = None
    priority: Priority | None = None
    sla: Sla | None = None
    expiresAt: AwareDatetime | None = None
    customFields: dict[str, CustomValue] | None = None


class StatusChangeRequest(_Request):
    """Pause (escalation stops), resume (it continues), cancel or complete (the workitem closes)."""

    action: Literal["pause", "resume", "cancel", "complete"]


ChangeRequest = Annotated[UpdateRequest | StatusChangeRequest, Field(discriminator="action")]


class WorkitemView(BaseModel):
    """A row of the task list (the seed's columns) plus our capture and escalation state."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str
    owner: str = Field(description="the client id of the source system that captured it")
    sourceId: str
    externalTag: str
    worktype: str
    typeId: str
    name: str
    priority: int
    dateDue: datetime
    dateExpires: datetime | None = None
    dateCreated: datetime
    dateModified: datetime | None = None
    dateClosed: datetime | None = None
    status: StatusCategory
    statusId: str | None = None
    routingState: str | None = Field(default=None, description="Genesys assignmentState.")
    assigneeId: str | None = None
    queueId: str | None = None
    workbinId: str | None = None
    genesysWorkitemId: str | None = None
    paused: bool
    escalationStep: int = Field(description="Index of the last escalation step run; -1 for none.")
    syncState: SyncState | None = None

    @classmethod
    def of(cls, record: WorkitemRecord) -> Self:
        return cls(
            id=record.workitem_id,
            owner=record.owner,
            sourceId=record.source_id,
            externalTag=record.source_id,
            worktype=record.worktype,
            typeId=record.type_id,
            name=record.name,
            priority=record.priority,
            dateDue=record.date_due,
            dateExpires=record.date_expires,
            dateCreated=record.date_created,
            dateModified=record.date_modified,
            dateClosed=record.date_closed,
            status=record.status_category,
            statusId=record.status_id,
            routingState=record.assignment_state,
            assigneeId=record.assignee_id,
            queueId=record.queue_id,
            workbinId=record.workbin_id,
            genesysWorkitemId=record.genesys_id,
            paused=record.paused,
            escalationStep=record.last_step,
            syncState=record.sync_state,
        )


class WorkitemPage(BaseModel):
    """One page of the task list; pass ``nextToken`` back for the next one."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    items: list[WorkitemView]
    nextToken: str | None = None


# ---- Genesys workitem topic event -------------------------------------------------------------------


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True, defer_build=True)


class EventCustomAttribute(_Event):
    dataType: str | None = None
    value: str | None = None


class EventWrapup(_Event):
    code: str | None = None
    userId: str | None = None


class WorkitemEvent(_Event):
    """``v2.taskmanagement.workitems.{id}`` (``WorkitemsEventsNotificationWorkitem``); the queue and user
    variants carry the same body. Name, description and custom fields may hold customer data: they are
    passed on to the source system's callback, never stored or logged."""

    id: str = Field(min_length=1, max_length=64)
    statusCategory: StatusCategory
    statusId: str | None = None
    typeId: str | None = None
    externalTag: str | None = None
    priority: int | None = None
    dateCreated: AwareDatetime | None = None
    dateModified: AwareDatetime | None = None
    dateDue: AwareDatetime | None = None
    dateExpires: AwareDatetime | None = None
    dateClosed: AwareDatetime | None = None
    assignmentState: str | None = None
    assigneeId: str | None = None
    queueId: str | None = None
    workbinId: str | None = None
    operation: str | None = None
    customFields: dict[str, EventCustomAttribute] | None = None
    wrapup: EventWrapup | None = None

    def snapshot(self) -> WorkitemSnapshot:
        return WorkitemSnapshot(
            genesys_id=self.id,
            status_category=self.statusCategory,
            status_id=self.statusId,
            assignment_state=self.assignmentState,
            assignee_id=self.assigneeId,
            queue_id=self.queueId,
            workbin_id=self.workbinId,
            priority=self.priority,
            date_created=self.dateCreated,
            date_modified=self.dateModified,
            date_due=self.dateDue,
            date_expires=self.dateExpires,
            date_closed=self.dateClosed,
            custom_fields={k: v.value for k, v in self.customFields.items()} if self.customFields else None,
            wrapup_code=self.wrapup.code if self.wrapup else None,
        )


class CallbackJob(BaseModel):
    """A sync-back on the callback queue: which workitem, which outcome, and what to send."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    workitemId: str
    key: str
    payload: dict[str, Any]
