"""The note: speakers, offsets, header, Genesys masks kept, our masking over every phrase, the size cap."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cxbridge.transcripts.models import Phrase, Transcript, TranscriptPart
from cxbridge.transcripts.render import CallHeader, render, truncation_marker
from tests.pii import digits_of, pii

CID = "6c7a3f4e-9b2d-4e1f-a8c3-5d6e7f8a9b0c"
HEADER = CallHeader(CID, "voice", "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e")


def test_lines_have_speaker_and_offset_in_time_order(sample: Transcript) -> None:
    note = render(HEADER, [sample])
    body = note.text.split("\n\n", 1)[1].split("\n")
    assert body[0] == "[00:01] IVR: thank you for calling acme"  # internal while only the IVR leg was live
    assert body[1].startswith("[00:14] Customer: hi my card is [card number]")
    assert body[2].startswith("[01:15] Agent: i can call you back on ***")
    assert (note.phrases, note.phrases_shown, note.truncated) == (3, 3, False)


def test_header_names_the_call_and_never_contact_fields(sample: Transcript) -> None:
    note = render(HEADER, [sample], missing=1)
    head = note.text.split("\n\n", 1)[0]
    assert head.startswith(f"Call transcript {CID}\nMedia: voice | Started: 2026-12-01T10:00:00Z | Language: en-us")
    assert "Queue: 5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9" in head
    assert "(+1 without a transcript)" in head
    assert "Genesys sensitive-data masks kept" in head
    assert note.title == f"Call transcript {CID}"
    for contact in ("3175550123", "8005550100", "jane.doe", "example.com"):
        assert contact not in note.text


def test_size_cap_keeps_whole_phrases_and_states_the_truncation() -> None:
    phrases = [
        Phrase(participantPurpose="external", text=f"phrase number {'x' * 50} {i}", startTimeMs=1_000 * i)
        for i in range(500)
    ]
    doc = Transcript(conversationStartTime=0, transcripts=[TranscriptPart(phrases=phrases)])
    note = render(HEADER, [doc], max_chars=2_000)
    assert len(note.text) <= 2_000
    assert note.truncated and 0 < note.phrases_shown < 500
    assert note.text.endswith(truncation_marker(note.phrases_shown, 500))
    last_line = note.text.split("\n")[-2]
    assert last_line.endswith(f" {note.phrases_shown - 1}")  # the last kept phrase is whole


def test_offset_falls_back_to_the_phrase_offset_then_unknown() -> None:
    doc = Transcript(
        transcripts=[
            TranscriptPart(
                phrases=[
                    Phrase(participantPurpose="external", text="a", offset=3_725_000),
                    Phrase(participantPurpose="mystery", text="b"),
                ]
            )
        ]
    )
    lines = render(HEADER, [doc]).text.split("\n\n", 1)[1].split("\n")
    assert lines == ["[--:--] Unknown: b", "[1:02:05] Customer: a"]


words = st.text(alphabet=st.characters(whitelist_categories=("L", "Zs")), max_size=30)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.tuples(words, pii, words, st.booleans()), min_size=1, max_size=6))
def test_no_planted_pii_survives_in_any_phrase(planted: list[tuple[str, str, str, bool]]) -> None:
    phrases = [
        Phrase(
            participantPurpose="external",
            # Genesys may have redacted neither field: the PII may be in text, decoratedText or both.
            text=f"{before} {secret} {after}",
            decoratedText=f"{before.title()} {secret}, {after}." if decorated else None,
            startTimeMs=i * 1000,
        )
        for i, (before, secret, after, decorated) in enumerate(planted)
    ]
    note = render(HEADER, [Transcript(conversationStartTime=0, transcripts=[TranscriptPart(phrases=phrases)])])
    text_digits = digits_of(note.text.split("\n\n", 1)[1])
    for _, secret, _, _ in planted:
        assert secret not in note.text
        if "@" not in secret:
            assert digits_of(secret) not in text_digits
