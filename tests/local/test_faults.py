"""Fault injection through the local stack (quick size): every conversation in the CRM once or dead-lettered."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sink", ["salesforce", "dynamics"])
def test_throttles_5xx_timeouts_expiring_tokens_and_3x_delivery_lose_and_duplicate_nothing(sink: str) -> None:
    done = subprocess.run(  # noqa: S603 - our own interpreter and module, a sink name from the parameter list
        [sys.executable, "-m", "local.faults", "--calls", "60", "--timeout", "240", "--sink", sink],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    lines = done.stdout.splitlines()
    start = lines.index("{")
    figures = json.loads("\n".join(lines[start : lines.index("}", start) + 1]))
    assert done.returncode == 0, figures
    assert figures["sink"] == sink
    assert figures["lost"] == figures["duplicated"] == figures["unexpected"] == 0
    in_crm_or_dead = figures["crm_records"] + figures["dead_letter_calls"] - figures["dead_letters_already_written"]
    assert in_crm_or_dead == figures["calls_with_disposition"]
    assert figures["duplicates_suppressed"] == 2 * figures["events_posted"] // 3  # every event came 3 times
    assert figures["tokens_issued"] >= 2  # expired tokens were renewed
