"""One transcript job: fetch every communication's transcript, redact, render, attach once, or wait.

Exactly once per conversation: the ledger is read first (attached or recorded as having no transcript:
skip), the CRM adapters replace the note they wrote before (a rerun between the attach and the ledger
write changes nothing), and a sink that cannot replace (a bot run) is claimed in the ledger before it is
called. The raw transcript exists only inside ``process``; nothing of it is returned but the note.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import ValidationError

from cxbridge.core.errors import TransientFailure
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.transcripts.models import TranscriptJob
from cxbridge.transcripts.ports import RECORD_MISSING
from cxbridge.transcripts.render import DEFAULT_MAX_CHARS, CallHeader, render
from cxbridge.transcripts.rules import WaitPolicy

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cxbridge.transcripts.ports import (
        TranscriptLedger,
        TranscriptQueueActions,
        TranscriptSink,
        TranscriptSource,
    )
    from cxbridge.transcripts.render import RenderedTranscript


LEDGER_RETRY_S = 30.0


class Outcome(StrEnum):
    ATTACHED = "attached"
    SKIPPED = "skipped"  # the conversation already has its note (or its "no transcript")
    NO_TRANSCRIPT = "no_transcript"
    RETRY = "retry"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reason: str | None = None
    delay_s: float = 0.0
    late: bool = False  # attached after at least one "not yet"


class TranscriptService:
    def __init__(
        self,
        source: TranscriptSource,
        sink: TranscriptSink,
        ledger: TranscriptLedger,
        *,
        policy: WaitPolicy | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._source, self._sink, self._ledger = source, sink, ledger
        self._policy = policy or WaitPolicy()
        self._max_chars = max_chars
        self._now = clock_ms
        self._rand = rand

    def process(self, job: TranscriptJob, receive_count: int) -> Decision:
        cid = job.conversationId
        if self._ledger.state(cid) is not None:
            return Decision(Outcome.SKIPPED)
        try:
            found = self._source.communications(cid)
            documents = [d for c in found or [] if (d := self._source.transcript(cid, c)) is not None]
        except UpstreamFailure as failure:
            return self._failed(job, receive_count, failure)
        waiting = len(found or []) - len(documents)
        if (found is None or waiting) and not self._policy.past_deadline(job.queuedAt, self._now()):
            return self._wait(job, receive_count, None, "not-yet")
        if not documents:
            return self._none(cid, "no-recording" if found == [] else "not-produced-by-deadline")
        note = render(CallHeader(cid, job.mediaType, job.queueId, job.userId), documents, waiting, self._max_chars)
        if note.phrases == 0:
            return self._none(cid, "empty")
        return self._attach(job, receive_count, note)

    def _attach(self, job: TranscriptJob, receive_count: int, note: RenderedTranscript) -> Decision:
        cid = job.conversationId
        if not self._sink.replaces and not self._ledger.claim(cid):
            return Decision(Outcome.SKIPPED)
        try:
            self._sink.attach(cid, note)
        except UpstreamFailure as failure:
            if not self._sink.replaces and failure.status is not WriteStatus.TRANSIENT:
                self._ledger.release(cid)  # refused or throttled: certainly not started
            return self._failed(job, receive_count, failure)
        self._ledger.attached(cid, note.phrases, note.truncated)
        return Decision(Outcome.ATTACHED, late=receive_count > 1)

    def _none(self, cid: str, reason: str) -> Decision:
        self._ledger.no_transcript(cid, reason)
        return Decision(Outcome.NO_TRANSCRIPT, reason)

    def _wait(self, job: TranscriptJob, receive_count: int, retry_after_s: float | None, reason: str) -> Decision:
        delay = self._policy.next_wait_s(receive_count, job.queuedAt, self._now(), retry_after_s, self._rand)
        return Decision(Outcome.RETRY, reason, delay)

    def _failed(self, job: TranscriptJob, receive_count: int, failure: UpstreamFailure) -> Decision:
        if failure.status is WriteStatus.PERMANENT:
            return Decision(Outcome.FAILED, failure.reason)
        if failure.reason == RECORD_MISSING and self._policy.past_deadline(job.queuedAt, self._now()):
            return self._none(job.conversationId, "no-crm-record")
        return self._wait(job, receive_count, failure.retry_after_s, failure.reason)


@dataclass(frozen=True, slots=True)
class ReceivedJob:
    message_id: str
    receipt_handle: str
    body: str
    receive_count: int


def run_batch(
    messages: Sequence[ReceivedJob], service: TranscriptService, actions: TranscriptQueueActions
) -> tuple[set[str], Counter[str]]:
    """Process every message; returns the ids to leave on the queue and counts per outcome (and ``late``)."""
    keep: set[str] = set()
    counts: Counter[str] = Counter()
    for m in messages:
        try:
            job = TranscriptJob.model_validate_json(m.body)
        except ValidationError:
            decision = Decision(Outcome.FAILED, "invalid-job")
            cid = None
        else:
            cid = job.conversationId
            try:
                decision = service.process(job, m.receive_count)
            except TransientFailure:  # the ledger (DynamoDB) could not answer
                decision = Decision(Outcome.RETRY, "ledger-unavailable", LEDGER_RETRY_S)
        counts[decision.outcome] += 1
        counts["late"] += decision.late
        if decision.reason is not None and decision.outcome is Outcome.NO_TRANSCRIPT:
            counts[f"no_transcript:{decision.reason}"] += 1
        if decision.outcome is Outcome.RETRY:
            keep.add(m.message_id)
            with suppress(TransientFailure):  # it comes back after the queue's visibility timeout anyway
                actions.delay(m.receipt_handle, decision.delay_s)
        elif decision.outcome is Outcome.FAILED:
            try:
                actions.dead_letter(m.body, decision.reason or "unknown", cid)
            except TransientFailure:
                keep.add(m.message_id)  # SQS's own redrive is the backstop
    return keep, counts
