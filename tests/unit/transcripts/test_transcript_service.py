"""The transcript job: waits while Genesys has no transcript, gives up at the deadline, attaches exactly once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.record import merge
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.transcripts.models import TranscriptJob
from cxbridge.transcripts.outbox import TranscriptOutbox
from cxbridge.transcripts.ports import LedgerState
from cxbridge.transcripts.rules import WaitPolicy
from cxbridge.transcripts.service import Outcome, ReceivedJob, TranscriptService, run_batch
from tests.fakes.transcripts import FakeLedger, FakeQueueActions, FakeSink, FakeSource

if TYPE_CHECKING:
    from cxbridge.transcripts.models import Transcript

CID = "6c7a3f4e-9b2d-4e1f-a8c3-5d6e7f8a9b0c"
COMM = "8e1f2a3b-4c5d-4e6f-9a0b-1c2d3e4f5a6b"
ENDED = 1_796_119_265_000
HOUR_MS = 3_600_000


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def job() -> TranscriptJob:
    return TranscriptJob(conversationId=CID, endedAt=ENDED - 60_000, queuedAt=ENDED, mediaType="voice")


def build(
    sample: Transcript, *, ready: bool = True, replaces: bool = True
) -> tuple[TranscriptService, FakeSource, FakeSink, FakeLedger, Clock]:
    source = FakeSource({CID: [COMM]}, {(CID, COMM): sample})
    if ready:
        source.ready.add((CID, COMM))
    sink, ledger, clock = FakeSink(replaces=replaces), FakeLedger(), Clock(ENDED + 60_000)
    service = TranscriptService(
        source, sink, ledger, policy=WaitPolicy(60, 3600, 86_400), clock_ms=clock, rand=lambda: 0.5
    )
    return service, source, sink, ledger, clock


def test_ready_transcript_is_attached_redacted(sample: Transcript) -> None:
    service, _, sink, ledger, _ = build(sample)
    decision = service.process(job(), 1)
    assert decision.outcome is Outcome.ATTACHED and not decision.late
    assert "jane.doe@example.com" not in sink.notes[CID] and "***" in sink.notes[CID]
    assert ledger.state(CID) is LedgerState.ATTACHED


def test_not_yet_waits_longer_each_time_then_attaches_late(sample: Transcript) -> None:
    service, source, sink, _, clock = build(sample, ready=False)
    delays = []
    for receive in range(1, 6):
        decision = service.process(job(), receive)
        assert decision.outcome is Outcome.RETRY and decision.reason == "not-yet"
        delays.append(decision.delay_s)
        clock.now += int(decision.delay_s * 1000)
    assert delays == sorted(delays) and delays[0] == 45 and delays[-1] == 720
    source.ready.add((CID, COMM))
    decision = service.process(job(), 6)
    assert decision.outcome is Outcome.ATTACHED and decision.late
    assert sink.runs == [CID]


def test_recordings_not_ready_is_not_yet(sample: Transcript) -> None:
    service, source, _, _, _ = build(sample)
    source.communications_by_call[CID] = None
    assert service.process(job(), 1).outcome is Outcome.RETRY


def test_the_wait_never_runs_past_the_deadline(sample: Transcript) -> None:
    service, _, _, _, clock = build(sample, ready=False)
    clock.now = ENDED + 24 * HOUR_MS - 10_000
    assert service.process(job(), 30).delay_s == pytest.approx(11)


def test_past_the_deadline_the_call_has_no_transcript_with_the_reason(sample: Transcript) -> None:
    service, _, sink, ledger, clock = build(sample, ready=False)
    clock.now = ENDED + 24 * HOUR_MS
    decision = service.process(job(), 40)
    assert (decision.outcome, decision.reason) == (Outcome.NO_TRANSCRIPT, "not-produced-by-deadline")
    assert ledger.entries[CID] == (LedgerState.NO_TRANSCRIPT, "not-produced-by-deadline")
    assert sink.runs == []
    assert service.process(job(), 41).outcome is Outcome.SKIPPED


def test_an_unrecorded_call_has_no_transcript_at_once(sample: Transcript) -> None:
    service, source, _, ledger, _ = build(sample)
    source.communications_by_call[CID] = []
    assert service.process(job(), 1).reason == "no-recording"
    assert ledger.state(CID) is LedgerState.NO_TRANSCRIPT


def test_at_the_deadline_what_arrived_is_attached_and_the_rest_named(sample: Transcript) -> None:
    service, source, sink, _, clock = build(sample)
    source.communications_by_call[CID] = [COMM, "other-communication"]
    assert service.process(job(), 1).outcome is Outcome.RETRY
    clock.now = ENDED + 24 * HOUR_MS
    assert service.process(job(), 2).outcome is Outcome.ATTACHED
    assert "(+1 without a transcript)" in sink.notes[CID]


def test_throttled_genesys_waits_at_least_retry_after(sample: Transcript) -> None:
    service, source, _, _, _ = build(sample)
    source.failure = UpstreamFailure(WriteStatus.THROTTLED, "http:429", retry_after_s=600)
    decision = service.process(job(), 1)
    assert (decision.outcome, decision.delay_s) == (Outcome.RETRY, 600)


def test_permanent_failure_is_dead_lettered_with_the_reason(sample: Transcript) -> None:
    service, source, _, _, _ = build(sample)
    source.failure = UpstreamFailure(WriteStatus.PERMANENT, "not.authorized")
    actions = FakeQueueActions()
    keep, counts = run_batch([ReceivedJob("m1", "r1", job().model_dump_json(), 1)], service, actions)
    assert keep == set() and counts[Outcome.FAILED] == 1
    assert actions.dead == [(job().model_dump_json(), "not.authorized")]


def test_crm_record_missing_is_retried_until_the_deadline(sample: Transcript) -> None:
    service, _, sink, ledger, clock = build(sample)
    sink.failure = UpstreamFailure(WriteStatus.TRANSIENT, "crm-record-missing")
    assert service.process(job(), 1).outcome is Outcome.RETRY
    assert ledger.state(CID) is None
    clock.now = ENDED + 24 * HOUR_MS
    assert service.process(job(), 2).reason == "no-crm-record"
    assert ledger.entries[CID] == (LedgerState.NO_TRANSCRIPT, "no-crm-record")


@pytest.mark.parametrize("replaces", [True, False])
def test_three_deliveries_attach_once(sample: Transcript, replaces: bool) -> None:
    service, _, sink, _, _ = build(sample, replaces=replaces)
    body = job().model_dump_json()
    messages = [ReceivedJob(f"m{i}", f"r{i}", body, 1) for i in range(3)]
    keep, counts = run_batch(messages, service, FakeQueueActions())
    assert keep == set()
    assert (counts[Outcome.ATTACHED], counts[Outcome.SKIPPED]) == (1, 2)
    assert sink.runs == [CID]


def test_a_rerun_after_a_lost_ledger_write_replaces_the_note(sample: Transcript) -> None:
    service, _, sink, ledger, _ = build(sample)
    service.process(job(), 1)
    del ledger.entries[CID]  # the worker died between the attach and the ledger write
    service.process(job(), 2)
    assert list(sink.notes) == [CID]  # one note, written twice (the CRM adapters replace it)


def test_a_bot_run_whose_answer_was_lost_is_not_run_again(sample: Transcript) -> None:
    service, _, sink, ledger, _ = build(sample, replaces=False)
    sink.failure = UpstreamFailure(WriteStatus.TRANSIENT, "timeout")
    assert service.process(job(), 1).outcome is Outcome.RETRY
    sink.failure = None
    assert service.process(job(), 2).outcome is Outcome.SKIPPED
    assert sink.runs == [] and ledger.state(CID) is LedgerState.CLAIMED


def test_a_refused_bot_run_releases_its_claim(sample: Transcript) -> None:
    service, _, sink, ledger, _ = build(sample, replaces=False)
    sink.failure = UpstreamFailure(WriteStatus.THROTTLED, "http:429")
    service.process(job(), 1)
    assert ledger.state(CID) is None


def test_an_invalid_job_is_dead_lettered() -> None:
    actions = FakeQueueActions()
    service = TranscriptService(FakeSource(), FakeSink(), FakeLedger())
    keep, _ = run_batch([ReceivedJob("m1", "r1", '{"conversationId": "bad id!"}', 1)], service, actions)
    assert keep == set() and actions.dead[0][1] == "invalid-job"


def event(kind: EventKind, t: int, wrapup_code_id: str | None = None) -> CallEvent:
    return CallEvent(
        kind=kind,
        conversation_id=CID,
        participant_id="p-1",
        event_time=t,
        media_type="voice",
        wrapup_code_id=wrapup_code_id,
    )


class ListQueue:
    def __init__(self) -> None:
        self.jobs: list[TranscriptJob] = []

    def send(self, job: TranscriptJob) -> None:
        self.jobs.append(job)


def test_outbox_queues_one_job_once_the_call_has_ended_and_has_a_disposition() -> None:
    queue = ListQueue()
    outbox = TranscriptOutbox(queue, clock_ms=lambda: 5_000)
    before = merge(None, event(EventKind.USER_END, 1_000)).record
    assert outbox.relay(None, before) is None
    ended = merge(before, event(EventKind.CUSTOMER_END, 2_000)).record
    assert outbox.relay(before, ended) is None  # no disposition: no CRM record to hang the note on (yet)
    acw = merge(ended, event(EventKind.ACW, 3_000, wrapup_code_id="wc-1")).record
    assert outbox.relay(ended, acw) is not None
    changed = merge(acw, event(EventKind.ACW, 4_000, wrapup_code_id="wc-2")).record
    assert outbox.relay(acw, changed) is None
    again = merge(changed, event(EventKind.CUSTOMER_END, 2_000)).record
    assert outbox.relay(changed, again) is None
    assert [(j.conversationId, j.endedAt, j.queuedAt, j.mediaType) for j in queue.jobs] == [
        (CID, 2_000, 5_000, "voice")
    ]
