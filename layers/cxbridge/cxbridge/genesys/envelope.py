"""The EventBridge envelope of a Genesys Cloud event on a partner event bus, whatever the topic.

Shared by the conversation routes (``calls``) and the workitem events route (``workitems``): both accept
the bare ``eventBody`` or this envelope around it.
"""

# No ``from __future__ import annotations``: pydantic evaluates annotations at class creation, and strings
# are compiled there, at cold start (docs/decisions.md, issue 15).

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

NonEmpty = Annotated[str, Field(min_length=1, max_length=256)]


class _EnvelopeModel(BaseModel):
    # Schemas build on first use, as the event models' do: import time is cold start.
    model_config = ConfigDict(extra="ignore", frozen=True, hide_input_in_errors=True, defer_build=True)


class EventBridgeDetail(_EnvelopeModel):
    """``detail`` of a Genesys event on an EventBridge partner bus."""

    topicName: NonEmpty
    version: str | None = None
    eventBody: dict[str, Any]
    metadata: dict[str, Any] | None = None
    timestamp: str | None = None


class EventBridgeEnvelope(_EnvelopeModel):
    """The EventBridge event as a rule target receives it (``detail-type`` is the topic pattern)."""

    id: str | None = None
    detail_type: str | None = Field(default=None, alias="detail-type")
    source: str | None = None
    detail: EventBridgeDetail
