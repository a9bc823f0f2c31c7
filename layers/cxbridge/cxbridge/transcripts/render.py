"""A transcript as a CRM note: redacted, one line per phrase with speaker and time offset, a header, a cap.

Pure. Redaction comes first and covers every phrase: Genesys' own masks (``[card number]``, ``[phone]``, …)
are kept where Genesys applied them, and our masking (``core.masking``: e-mail, phone/card/SSN-like digit
runs, tel/sip URIs) runs over every phrase whatever Genesys did, because Genesys' redaction is best effort
and is skipped for a client holding ``viewSensitiveData`` (reference §1.4). Participant fields that carry
contact data (``ani``, ``dnis``, ``to``, ``from``) are never rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from cxbridge.core.masking import mask_text

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cxbridge.transcripts.models import Participant, Phrase, Transcript

DEFAULT_MAX_CHARS = 32_000  # under Dataverse's notetext (100,000) and Salesforce long text (131,072)
# Genesys' sensitive-data masks (reference §1.4: PCI and PII tokens).
GENESYS_MASKS = re.compile(r"\[(?:card number|card expiry date|user info|phone|email|name|postal code)\]")
_WHITESPACE = re.compile(r"\s+")
SPEAKERS = {"agent": "Agent", "customer": "Customer", "external": "Customer", "ivr": "IVR", "acd": "IVR"}
SPEAKERS |= {"voicemail": "Voicemail", "internal": "Agent"}


@dataclass(frozen=True, slots=True)
class CallHeader:
    """Call metadata shown above the phrases (ids and times only)."""

    conversation_id: str
    media_type: str | None = None
    queue_id: str | None = None
    user_id: str | None = None


@dataclass(frozen=True, slots=True)
class RenderedTranscript:
    title: str
    text: str
    phrases: int
    phrases_shown: int
    genesys_redacted: bool

    @property
    def truncated(self) -> bool:
        return self.phrases_shown < self.phrases


def redact(phrase: Phrase) -> tuple[str, bool]:
    """The phrase's words, safe to leave AWS, and whether Genesys had masked any of it.

    Of ``text`` and ``decoratedText`` (which of them Genesys masks is unconfirmed) the one carrying
    Genesys' masks is taken, else ``text``; our masking then runs over it either way.
    """
    candidates = [t for t in (phrase.text, phrase.decoratedText) if t]
    genesys = next((t for t in candidates if GENESYS_MASKS.search(t)), None)
    chosen = genesys or (candidates[0] if candidates else "")
    return mask_text(_WHITESPACE.sub(" ", chosen).strip()), genesys is not None


def speaker(phrase: Phrase, participants: Sequence[Participant]) -> str:
    """Agent, Customer or IVR. An ``internal`` phrase is the IVR's when an IVR leg, and no agent leg, was live."""
    purpose = (phrase.participantPurpose or "").lower()
    if purpose == "internal" and phrase.startTimeMs is not None:
        live = {
            (p.participantPurpose or "").lower()
            for p in participants
            if (p.startTimeMs or 0) <= phrase.startTimeMs <= (p.endTimeMs or phrase.startTimeMs)
        }
        if "ivr" in live and "agent" not in live:
            return "IVR"
    return SPEAKERS.get(purpose, "Unknown")


def offset(phrase: Phrase, start_ms: int | None) -> str:
    """``[mm:ss]`` from the conversation's start (``[h:mm:ss]`` past an hour); ``[--:--]`` when unknown."""
    if phrase.startTimeMs is not None and start_ms is not None:
        ms = phrase.startTimeMs - start_ms
    elif phrase.offset is not None:
        ms = phrase.offset
    else:
        return "[--:--]"
    s = max(0, ms) // 1000
    h, m, sec = s // 3600, s // 60 % 60, s % 60
    return f"[{h}:{m:02d}:{sec:02d}]" if h else f"[{m:02d}:{sec:02d}]"


def _iso(ms: int | None) -> str:
    return "unknown" if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def title_for(conversation_id: str) -> str:
    """The note's title, which is also how a rerun finds the note it wrote before."""
    return f"Call transcript {conversation_id}"


def render(
    header: CallHeader, documents: Sequence[Transcript], missing: int = 0, max_chars: int = DEFAULT_MAX_CHARS
) -> RenderedTranscript:
    """The note for a call: every communication's phrases in time order, redacted, within ``max_chars``.

    ``missing`` counts communications whose transcript never came; the header says so.
    """
    start = min((d.conversationStartTime for d in documents if d.conversationStartTime is not None), default=None)
    lines: list[tuple[int, str]] = []
    genesys_redacted = False
    for doc in documents:
        for part in doc.transcripts:
            for phrase in part.phrases:
                words, masked = redact(phrase)
                if not words:
                    continue
                genesys_redacted |= masked
                order = phrase.startTimeMs if phrase.startTimeMs is not None else (phrase.offset or 0)
                lines.append((order, f"{offset(phrase, start)} {speaker(phrase, doc.participants)}: {words}"))
    lines.sort(key=lambda line: line[0])
    languages = sorted({p.language for d in documents for p in d.transcripts if p.language})
    head = [
        title_for(header.conversation_id),
        f"Media: {header.media_type or next((d.mediaType for d in documents if d.mediaType), 'unknown')}"
        f" | Started: {_iso(start)} | Language: {', '.join(languages) or 'unknown'}",
        f"Queue: {header.queue_id or '-'} | Agent: {header.user_id or '-'} | Communications: {len(documents)}"
        + (f" (+{missing} without a transcript)" if missing else ""),
        "Redacted: Genesys sensitive-data masks kept"
        if genesys_redacted
        else "Redacted: phone numbers, e-mail addresses and card-like numbers masked",
        "",
    ]
    return _capped(header.conversation_id, head, [text for _, text in lines], genesys_redacted, max_chars)


def truncation_marker(shown: int, total: int) -> str:
    return f"[transcript truncated: {shown} of {total} phrases shown; the full transcript stays in Genesys Cloud]"


def _capped(
    conversation_id: str, head: list[str], lines: list[str], genesys_redacted: bool, max_chars: int
) -> RenderedTranscript:
    """Whole phrases up to the cap, then the marker; the result never exceeds ``max_chars``."""
    text = "\n".join(head + lines)
    shown = len(lines)
    if len(text) > max_chars:
        budget = max_chars - len(truncation_marker(len(lines), len(lines))) - 1
        kept = list(head)
        used = len("\n".join(kept))
        for line in lines:
            if used + 1 + len(line) > budget:
                break
            kept.append(line)
            used += 1 + len(line)
        shown = len(kept) - len(head)
        text = "\n".join([*kept, truncation_marker(shown, len(lines))])[:max_chars]
    return RenderedTranscript(title_for(conversation_id), text, len(lines), shown, genesys_redacted)
