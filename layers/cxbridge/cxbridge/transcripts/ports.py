"""What the transcript use case needs from the outside: Genesys STA, the CRM, its ledger and its queue.

Outside systems' adapters raise ``UpstreamFailure`` (``core.upstream``) for an answer that is not a result:
throttled or transient (retry later), permanent (dead-letter with the reason); the ledger and the queue
raise ``TransientFailure`` (``core.errors``) when AWS cannot answer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cxbridge.transcripts.models import Transcript, TranscriptJob
    from cxbridge.transcripts.render import RenderedTranscript


# A sink's reason when the call's CRM record is not there (yet): the CRM-sync job has not written it, or the
# call has no disposition and never will. Retried until the deadline, then "no transcript".
RECORD_MISSING = "crm-record-missing"


class TranscriptSource(Protocol):
    """Genesys: a conversation's communications and their STA transcripts."""

    def communications(self, conversation_id: str) -> list[str] | None:
        """The ids of the conversation's recorded voice and digital communications; None while not ready."""
        ...

    def transcript(self, conversation_id: str, communication_id: str) -> Transcript | None:
        """The communication's transcript, or None while Genesys has none (not yet, or never)."""
        ...


class TranscriptSink(Protocol):
    """Where the note goes: the call's CRM record, keyed by the conversation id."""

    @property
    def replaces(self) -> bool:
        """True when a second ``attach`` replaces the first (a note); False when it would add (a bot run)."""
        ...

    def attach(self, conversation_id: str, note: RenderedTranscript) -> None:
        """Put the note on the call's record; raises ``UpstreamFailure``."""
        ...


class LedgerState(StrEnum):
    CLAIMED = "claimed"  # a non-replacing sink is being given the note
    ATTACHED = "attached"
    NO_TRANSCRIPT = "no-transcript"


class TranscriptLedger(Protocol):
    """Per conversation, what became of its transcript (the exactly-once record)."""

    def state(self, conversation_id: str) -> LedgerState | None: ...

    def claim(self, conversation_id: str) -> bool:
        """Mark the attach as started; False when the conversation already has an entry."""
        ...

    def release(self, conversation_id: str) -> None:
        """Forget a claim whose attach certainly did not happen."""
        ...

    def attached(self, conversation_id: str, phrases: int, truncated: bool) -> None: ...

    def no_transcript(self, conversation_id: str, reason: str) -> None: ...


class TranscriptJobQueue(Protocol):
    def send(self, job: TranscriptJob) -> None: ...


class TranscriptQueueActions(Protocol):
    def delay(self, receipt_handle: str, seconds: float) -> None: ...

    def dead_letter(self, body: str, reason: str, conversation_id: str | None) -> None: ...
