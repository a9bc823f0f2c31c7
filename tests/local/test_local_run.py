"""The README's local command, as a user runs it: a subprocess serving HTTP, samples posted 3x."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_replay_through_the_local_stack_queues_one_job_per_call_with_a_disposition() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "local.run", "--replay", "--port", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert any(line.startswith("cxbridge local stack on http://127.0.0.1:") for line in lines)
    start = lines.index("{")
    summary = json.loads("\n".join(lines[start : lines.index("}", start) + 1]))
    assert summary["posted"] == 27
    assert summary["outcomes"] == {"applied": 9, "duplicate": 18}
    assert summary["CrmSyncQueue"] == 3
    assert summary["CrmSyncDeadLetterQueue"] == 0
