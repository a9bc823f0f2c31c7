"""Genesys Cloud conversation detail events, with the exact field names Genesys sends.

Field names and types follow ``PureCloudPlatformClientV2`` (``AcwDetailEventTopicAfterCallWorkEvent``,
``CustomerEndDetailEventTopicCustomerEndEvent``, ``UserEndDetailEventTopicUserEndEvent``). Genesys adds
fields over time, so unknown keys are ignored. We require only what we key and order on:
``conversationId`` and ``eventTime`` (epoch ms). Contact data (``ani``, ``dnis``, ...) and free text
(``wrapupNotes``) are ``SecretStr``: parsed, never printed, never stored.
"""

# No ``from __future__ import annotations``: pydantic evaluates annotations at class creation, and strings
# are compiled there, at cold start (docs/decisions.md, issue 15).

from dataclasses import dataclass, replace
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.core.text import GenesysId, PlainId, SafeText, WrapupCodeId

NonEmpty = Annotated[str, Field(min_length=1, max_length=256)]
# Epoch milliseconds up to the end of year 9999, the last instant a date can hold.
MAX_EPOCH_MS = 253_402_300_799_999
EpochMs = Annotated[int, Field(ge=0, le=MAX_EPOCH_MS)]
# Bounded as epoch times are: an unbounded integer passes validation and then cannot be stored (DynamoDB
# numbers hold 38 digits), which was a 500.
DurationMs = Annotated[int, Field(ge=0, le=MAX_EPOCH_MS)]


class _GenesysModel(BaseModel):
    # Schemas build on first use: each function validates one or two of these, and import time is cold start.
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True, defer_build=True)


class ConversationDetailEvent(_GenesysModel):
    """Fields every ``v2.detail.events.conversation.{id}.*`` body shares."""

    eventTime: EpochMs
    conversationId: GenesysId
    participantId: GenesysId | None = None
    sessionId: str | None = None
    mediaType: SafeText | None = None
    provider: SafeText | None = None
    direction: SafeText | None = None
    ani: SecretStr | None = None
    dnis: SecretStr | None = None
    addressTo: SecretStr | None = None
    addressFrom: SecretStr | None = None
    callbackUserName: SecretStr | None = None
    callbackNumbers: list[SecretStr] | None = None
    callbackScheduledTime: int | None = None
    subject: SecretStr | None = None
    messageType: SafeText | None = None
    conversationExternalContactIds: list[GenesysId] | None = None
    conversationExternalOrganizationIds: list[GenesysId] | None = None
    utilizationLabel: SafeText | None = None

    def _call_event(self, kind: EventKind) -> CallEvent:
        """The facts every detail event carries; each kind adds its own with ``dataclasses.replace``."""
        return CallEvent(
            kind=kind,
            conversation_id=self.conversationId,
            participant_id=self.participantId,
            event_time=self.eventTime,
            media_type=self.mediaType,
            direction=self.direction,
        )


class AfterCallWorkEvent(ConversationDetailEvent):
    """``…{id}.acw`` (and ``…{id}.wrapup``, the same body without ``userId``).

    ``wrapupCode`` is the wrap-up code **id**; its name is resolved later through the Genesys API.
    """

    userId: GenesysId | None = None
    queueId: GenesysId | None = None
    wrapupCode: WrapupCodeId | None = None
    wrapupNotes: SecretStr | None = None
    wrapupDurationMs: DurationMs | None = None

    def to_call_event(self) -> CallEvent:
        return replace(
            self._call_event(EventKind.ACW),
            user_id=self.userId,
            queue_id=self.queueId,
            wrapup_code_id=self.wrapupCode,
            acw_ms=self.wrapupDurationMs,
        )


class CustomerEndEvent(ConversationDetailEvent):
    """``…{id}.customer.end``: the customer left; ``interactingDurationMs`` is the customer's time."""

    disconnectType: SafeText | None = None
    externalOrganizationId: GenesysId | None = None
    externalContactId: GenesysId | None = None
    interactingDurationMs: DurationMs | None = None
    divisionId: GenesysId | None = None

    def to_call_event(self) -> CallEvent:
        return replace(
            self._call_event(EventKind.CUSTOMER_END),
            division_id=self.divisionId,
            disconnect_type=self.disconnectType,
            talk_ms=self.interactingDurationMs,
        )


class UserEndEvent(ConversationDetailEvent):
    """``…{id}.user.end``: an agent's leg ended; carries the agent's talk and hold time."""

    disconnectType: SafeText | None = None
    userId: GenesysId | None = None
    divisionId: GenesysId | None = None
    queueId: GenesysId | None = None
    interactingDurationMs: DurationMs | None = None
    heldDurationMs: DurationMs | None = None
    alertingDurationMs: DurationMs | None = None
    contactingDurationMs: DurationMs | None = None
    dialingDurationMs: DurationMs | None = None
    callbackDurationMs: DurationMs | None = None

    def to_call_event(self) -> CallEvent:
        return replace(
            self._call_event(EventKind.USER_END),
            division_id=self.divisionId,
            disconnect_type=self.disconnectType,
            user_id=self.userId,
            queue_id=self.queueId,
            talk_ms=self.interactingDurationMs,
            held_ms=self.heldDurationMs,
            dialing_ms=self.dialingDurationMs,
            contacting_ms=self.contactingDurationMs,
        )


# Epoch values below this are seconds, above it milliseconds (10**11 s is the year 5138).
_EPOCH_MS_THRESHOLD = 10**11


class CallCompletedData(_GenesysModel):
    """The ``data`` object of the seed guide's webhook: duration in seconds, a disposition **name**."""

    duration: Annotated[float, Field(ge=0, le=MAX_EPOCH_MS // 1000, allow_inf_nan=False)] | None = None
    status: SafeText | None = None
    disposition: SafeText | None = None


class CallCompletedEvent(_GenesysModel):
    """The simplified ``Call.Completed`` webhook of the seed guide (``timestamp`` in epoch seconds)."""

    eventType: Literal["Call.Completed", "Disposition.CallCompleted"]
    callId: PlainId
    timestamp: EpochMs
    userId: PlainId | None = None
    conversationId: PlainId | None = None
    data: CallCompletedData = Field(default_factory=CallCompletedData)

    def to_call_event(self) -> CallEvent:
        ts = self.timestamp if self.timestamp >= _EPOCH_MS_THRESHOLD else self.timestamp * 1000
        duration_ms = None if self.data.duration is None else round(self.data.duration * 1000)
        return CallEvent(
            kind=EventKind.CALL_COMPLETED,
            conversation_id=self.conversationId or self.callId,
            participant_id=self.userId,
            event_time=ts,
            user_id=self.userId,
            duration_ms=duration_ms,
            call_status=self.data.status,
            disposition_name=self.data.disposition,
        )


# ---- the routes: which model parses each event kind, and the topics its envelope may carry ----------

TOPIC_PREFIX = "v2.detail.events.conversation."


@dataclass(frozen=True)
class Route:
    """How one event kind is parsed: its body model and the topic suffixes its route accepts."""

    model: type[AfterCallWorkEvent | CustomerEndEvent | UserEndEvent | CallCompletedEvent]
    topic_suffixes: tuple[str, ...]


ROUTES: dict[EventKind, Route] = {
    EventKind.ACW: Route(AfterCallWorkEvent, (".acw", ".wrapup")),
    EventKind.CUSTOMER_END: Route(CustomerEndEvent, (".customer.end",)),
    EventKind.USER_END: Route(UserEndEvent, (".user.end",)),
    EventKind.CALL_COMPLETED: Route(CallCompletedEvent, ()),
}
