"""The STA transcript document as Genesys serves it: every field of the schema (reference §1.3) is read."""

from __future__ import annotations

import json

from cxbridge.transcripts.models import Transcript


def test_root_fields(sample: Transcript) -> None:
    assert sample.organizationId == "3f8c1d6e-2b4a-4c9e-8f1a-7d2e5b6c9a01"
    assert sample.conversationId == "6c7a3f4e-9b2d-4e1f-a8c3-5d6e7f8a9b0c"
    assert sample.communicationId == "8e1f2a3b-4c5d-4e6f-9a0b-1c2d3e4f5a6b"
    assert sample.mediaType == "call"
    assert sample.conversationStartTime == 1796119200000
    assert (sample.startTime, sample.duration) == (1796119200500, 65000)
    assert sample.uri is not None and sample.uri.endswith(sample.conversationId)
    assert len(sample.participants) == 3
    assert len(sample.transcripts) == 1


def test_participant_fields(sample: Transcript) -> None:
    ivr, customer, agent = sample.participants
    assert ivr.participantPurpose == "ivr"
    assert (ivr.flowId, ivr.flowVersion, ivr.divisionId) == (
        "a1b2c3d4-0000-4000-8000-000000000001",
        "12.0",
        "d1d2d3d4-0000-4000-8000-000000000009",
    )
    assert ivr.messageType is None
    assert (customer.ani, customer.dnis) == ("tel:+13175550123", "tel:+18005550100")
    assert (customer.from_, customer.to) == ("tel:+13175550123", "tel:+18005550100")
    assert customer.initialDirection == "inbound"
    assert (agent.userId, agent.teamId, agent.queueId) == (
        "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
        "c0c1c2c3-0000-4000-8000-000000000004",
        "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
    )
    assert (agent.startTimeMs, agent.endTimeMs) == (1796119211000, 1796119265000)


def test_transcript_and_phrase_fields(sample: Transcript) -> None:
    part = sample.transcripts[0]
    assert part.transcriptId == "f0e1d2c3-b4a5-4968-8776-655443322110"
    assert (part.language, part.engineId, part.programId) == (
        "en-us",
        "genesys",
        "b0b1b2b3-0000-4000-8000-000000000002",
    )
    assert (part.startTime, part.duration, part.subject, part.messageType) == (1796119200500, 64500, None, None)
    first = part.phrases[0]
    assert (first.phraseIndex, first.participantPurpose, first.type) == (0, "internal", "utterance")
    assert first.text == "thank you for calling acme"
    assert first.decoratedText == "Thank you for calling Acme."  # in payloads, not in the published schema
    assert (first.stability, first.confidence, first.offset) == (1.0, 0.93, 1000)
    assert (first.startTimeMs, first.duration, first.alternatives) == (1796119201000, 2100, [])
    word = first.words[0]
    assert (word.word, word.confidence, word.offset, word.startTimeMs, word.duration) == (
        "thank",
        0.97,
        1000,
        1796119201000,
        240,
    )


def test_analytics_fields(sample: Transcript) -> None:
    analytics = sample.transcripts[0].analytics
    assert analytics is not None
    s = analytics.sentiment[0]
    assert (s.participant, s.phrase, s.offset, s.startTimeMs, s.duration) == (
        "external",
        "hi my card is",
        14000,
        1796119214000,
        5200,
    )
    assert (s.sentiment, s.phraseIndex, s.type) == (-0.4, 1, "utterance")
    t = analytics.topics[0]
    assert (t.topicId, t.topicName, t.topicPhrase, t.transcriptPhrase) == (
        "e0e1e2e3-0000-4000-8000-000000000005",
        "Billing",
        "my card",
        "my card is",
    )
    assert (t.participant, t.confidence, t.offset, t.startTimeMs, t.duration, t.type) == (
        "external",
        0.8,
        14000,
        1796119214000,
        1200,
        "utterance",
    )
    a = analytics.acoustic[0]
    assert (a.eventType, a.offsetMs, a.startTimeMs, a.durationMs, a.participant) == (
        "silence",
        20000,
        1796119220000,
        4000,
        "external",
    )


def test_unknown_and_missing_fields_do_not_fail_the_parse(sample_bytes: bytes) -> None:
    doc = json.loads(sample_bytes)
    doc["newRootField"] = {"x": 1}
    del doc["uri"]
    doc["transcripts"][0]["phrases"][0]["futureField"] = True
    del doc["transcripts"][0]["phrases"][0]["decoratedText"]
    parsed = Transcript.model_validate(doc)
    assert parsed.uri is None
    assert parsed.transcripts[0].phrases[0].decoratedText is None
