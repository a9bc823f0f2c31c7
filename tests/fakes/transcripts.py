"""In-memory fakes of the transcript ports (next to the interfaces they fake: cxbridge.transcripts.ports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cxbridge.transcripts.ports import LedgerState

if TYPE_CHECKING:
    from cxbridge.core.upstream import UpstreamFailure
    from cxbridge.transcripts.models import Transcript
    from cxbridge.transcripts.render import RenderedTranscript


@dataclass
class FakeSource:
    """Communications per conversation; a transcript appears once ``ready`` is set for it."""

    communications_by_call: dict[str, list[str] | None] = field(default_factory=dict)
    transcripts: dict[tuple[str, str], Transcript] = field(default_factory=dict)
    ready: set[tuple[str, str]] = field(default_factory=set)
    failure: UpstreamFailure | None = None
    calls: int = 0

    def communications(self, conversation_id: str) -> list[str] | None:
        self.calls += 1
        if self.failure is not None:
            raise self.failure
        return self.communications_by_call.get(conversation_id, [])

    def transcript(self, conversation_id: str, communication_id: str) -> Transcript | None:
        key = (conversation_id, communication_id)
        return self.transcripts.get(key) if key in self.ready else None


@dataclass
class FakeSink:
    """Notes by conversation; ``replaces`` False makes it count every attach as a new bot run."""

    replaces: bool = True
    notes: dict[str, str] = field(default_factory=dict)
    runs: list[str] = field(default_factory=list)
    failure: UpstreamFailure | None = None

    def attach(self, conversation_id: str, note: RenderedTranscript) -> None:
        if self.failure is not None:
            raise self.failure
        self.runs.append(conversation_id)
        self.notes[conversation_id] = note.text


@dataclass
class FakeLedger:
    entries: dict[str, tuple[LedgerState, str | None]] = field(default_factory=dict)

    def state(self, conversation_id: str) -> LedgerState | None:
        entry = self.entries.get(conversation_id)
        return entry[0] if entry else None

    def claim(self, conversation_id: str) -> bool:
        if conversation_id in self.entries:
            return False
        self.entries[conversation_id] = (LedgerState.CLAIMED, None)
        return True

    def release(self, conversation_id: str) -> None:
        if self.state(conversation_id) is LedgerState.CLAIMED:
            del self.entries[conversation_id]

    def attached(self, conversation_id: str, phrases: int, truncated: bool) -> None:
        self.entries[conversation_id] = (LedgerState.ATTACHED, None)

    def no_transcript(self, conversation_id: str, reason: str) -> None:
        self.entries[conversation_id] = (LedgerState.NO_TRANSCRIPT, reason)


@dataclass
class FakeQueueActions:
    delays: list[tuple[str, float]] = field(default_factory=list)
    dead: list[tuple[str, str]] = field(default_factory=list)

    def delay(self, receipt_handle: str, seconds: float) -> None:
        self.delays.append((receipt_handle, seconds))

    def dead_letter(self, body: str, reason: str, conversation_id: str | None) -> None:
        self.dead.append((body, reason))
