"""The Genesys STA transcript document (the JSON behind ``transcripturl``) and the transcript job.

Field names are exactly those of the transcript schema (reference §1.3). Every field is optional and
unknown fields are ignored: the published schema lacks fields real payloads carry (``decoratedText``), so
a new field must not fail a parse, and a missing one must not either. The raw document lives only in the
worker's memory: it is never stored, logged, traced or queued.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# A Genesys UUID, or a webhook id (letters, digits, "_", "-"): the ids a call record can have.
ID_PATTERN = r"^[A-Za-z0-9_-]{1,128}$"


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class Word(_Doc):
    word: str | None = None
    confidence: float | None = None
    offset: int | None = None
    startTimeMs: int | None = None
    duration: int | None = None


class Phrase(_Doc):
    phraseIndex: int | None = None
    participantPurpose: str | None = None  # "internal" (agent, IVR, ACD) or "external" (customer)
    text: str | None = None
    decoratedText: str | None = None  # in real payloads, missing from the published schema
    stability: float | None = None
    confidence: float | None = None
    offset: int | None = None
    startTimeMs: int | None = None  # epoch ms
    duration: int | None = None
    words: list[Word] = Field(default_factory=list)
    alternatives: list[object] = Field(default_factory=list)
    type: str | None = None


class Sentiment(_Doc):
    participant: str | None = None
    phrase: str | None = None
    offset: int | None = None
    startTimeMs: int | None = None
    duration: int | None = None
    sentiment: float | None = None  # value range unconfirmed (-1/0/1 or a float)
    phraseIndex: int | None = None
    type: str | None = None


class Topic(_Doc):
    participant: str | None = None
    topicId: str | None = None
    topicName: str | None = None
    topicPhrase: str | None = None
    transcriptPhrase: str | None = None
    confidence: float | None = None
    offset: int | None = None
    startTimeMs: int | None = None
    duration: int | None = None
    type: str | None = None


class Acoustic(_Doc):
    eventType: str | None = None
    offsetMs: int | None = None
    startTimeMs: int | None = None
    durationMs: int | None = None
    participant: str | None = None


class Analytics(_Doc):
    sentiment: list[Sentiment] = Field(default_factory=list)
    topics: list[Topic] = Field(default_factory=list)
    acoustic: list[Acoustic] = Field(default_factory=list)


class TranscriptPart(_Doc):
    """One entry of ``transcripts[]``: a program's transcription of (part of) the communication."""

    transcriptId: str | None = None
    language: str | None = None
    programId: str | None = None
    engineId: str | None = None
    startTime: int | None = None
    duration: int | None = None
    subject: str | None = None
    messageType: str | None = None
    phrases: list[Phrase] = Field(default_factory=list)
    analytics: Analytics | None = None


class Participant(_Doc):
    participantPurpose: str | None = None  # ivr, customer, agent, acd, voicemail
    userId: str | None = None
    teamId: str | None = None
    initialDirection: str | None = None
    messageType: str | None = None
    queueId: str | None = None
    flowId: str | None = None
    flowVersion: str | int | None = None
    divisionId: str | None = None
    ani: str | None = None
    dnis: str | None = None
    to: str | None = None
    from_: str | None = Field(default=None, alias="from")
    startTimeMs: int | None = None
    endTimeMs: int | None = None


class Transcript(_Doc):
    """The downloaded transcript of one communication."""

    organizationId: str | None = None
    conversationId: str | None = None
    communicationId: str | None = None
    mediaType: str | None = None
    conversationStartTime: int | None = None  # epoch ms
    startTime: int | None = None
    duration: int | None = None
    uri: str | None = None
    participants: list[Participant] = Field(default_factory=list)
    transcripts: list[TranscriptPart] = Field(default_factory=list)


class TranscriptJob(_Doc):
    """What the transcript queue carries: ids and times only, never transcript text."""

    conversationId: str = Field(pattern=ID_PATTERN)
    endedAt: int = Field(ge=0, description="epoch ms of the event that ended the call")
    queuedAt: int = Field(ge=0, description="epoch ms the job was queued: the wait's deadline counts from here")
    mediaType: str | None = Field(default=None, max_length=32)
    queueId: str | None = Field(default=None, pattern=ID_PATTERN)
    userId: str | None = Field(default=None, pattern=ID_PATTERN)
