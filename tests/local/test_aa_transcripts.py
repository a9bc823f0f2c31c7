"""With Automation Anywhere as the CRM, the local stack hands each ended, dispositioned call's transcript,
redacted, to the transcript bot (``TRANSCRIPT_MAPPING``), once per call; without that mapping every
transcript job failed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.demo import demo_events, send_calls, wait_for
from local.sandboxes.genesys_transcripts import PLANTED_PII
from local.stack import TRANSCRIPT_BOT_MAPPING, LocalStack
from local.toil_data import PLANTED, generate_calls


@pytest.mark.usefixtures("environment")
def test_each_ended_calls_transcript_reaches_the_transcript_bot_once_and_redacted() -> None:
    day = datetime.now(UTC).date() - timedelta(days=1)
    calls = generate_calls([day], 8, PLANTED, seed=5)
    # A transcript is due once the call has ended and has a disposition (transcripts.rules.transcript_due).
    ended = {
        c.conversation_id
        for c in calls
        if (c.code_id or c.disposition_name) and any(e.kind == "customer.end" for e in demo_events(c))
    }
    stack = LocalStack(port=0, seed=5, crm_sink="automation_anywhere").start()
    room = stack.control_room
    assert room is not None
    transcript_runs: list[dict[str, Any]] = []

    def every_transcript_deployed() -> bool:
        """Complete the outcome runs (they ask for a callback), collect the transcript runs."""
        with room.lock:
            runs = [dict(run) for run in room.deployments.values()]
        for run in runs:
            if run["status"] == "DEPLOYED" and run.get("callbackInfo"):
                room.complete(run["deploymentId"])
        transcript_runs[:] = [run for run in runs if run["fileId"] == TRANSCRIPT_BOT_MAPPING["file_id"]]
        return {run["botInput"]["sCallId"]["string"] for run in transcript_runs} >= ended

    try:
        send_calls(stack, calls, 1, random.Random(5))
        deployed = wait_for(every_transcript_deployed, 180, interval_s=1.0)
        failed = stack.dead_letters("TranscriptDeadLetterQueue")
    finally:
        stack.stop()
    assert ended
    assert deployed, f"transcripts deployed for {len(transcript_runs)} of {len(ended)} calls; dead letters {failed}"
    assert len(transcript_runs) == len(ended)  # one run per call
    texts = [run["botInput"]["sTranscript"]["string"] for run in transcript_runs]
    assert all(texts)
    assert not [pii for pii in PLANTED_PII for text in texts if pii in text]
