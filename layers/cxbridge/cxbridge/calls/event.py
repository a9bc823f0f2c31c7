"""The transport-free shape of one conversation event, whatever route or envelope it came through."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    """What happened; one ingestion route per kind."""

    ACW = "acw"
    CUSTOMER_END = "customer.end"
    USER_END = "user.end"
    CALL_COMPLETED = "call.completed"


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One event's facts about a call, with no contact data (PII is dropped at the model boundary)."""

    kind: EventKind
    conversation_id: str
    participant_id: str | None
    event_time: int
    media_type: str | None = None
    direction: str | None = None
    division_id: str | None = None
    disconnect_type: str | None = None
    user_id: str | None = None
    queue_id: str | None = None
    wrapup_code_id: str | None = None
    acw_ms: int | None = None
    talk_ms: int | None = None
    held_ms: int | None = None
    dialing_ms: int | None = None
    contacting_ms: int | None = None
    duration_ms: int | None = None
    call_status: str | None = None
    disposition_name: str | None = None

    @property
    def identity(self) -> str:
        """The event's identity (topic kind, conversation, participant, event time): equal means redelivery."""
        return f"{self.kind}#{self.conversation_id}#{self.leg_key}#{self.event_time}"

    @property
    def leg_key(self) -> str:
        """The participant whose leg this event describes (an agent, the customer, or the webhook's user)."""
        return self.participant_id or self.user_id or "-"
