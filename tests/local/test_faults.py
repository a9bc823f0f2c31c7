"""Fault injection through the local stack (quick size): every outcome in the CRM, current, or dead-lettered."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("sink", "aa_mode"), [("salesforce", "deploy"), ("dynamics", "deploy"), ("salesforce", "workqueue")]
)
def test_every_fault_kind_is_injected_and_nothing_is_lost_duplicated_stale_or_stranded(sink: str, aa_mode: str) -> None:
    command = [sys.executable, "-m", "local.faults", "--calls", "60", "--timeout", "360", "--sink", sink]
    done = subprocess.run(  # noqa: S603 - our own interpreter and module, names from the parameter list
        [*command, "--aa-mode", aa_mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    figures = json.loads(done.stdout.splitlines()[-1])  # the last line is one JSON object
    assert done.returncode == 0, json.dumps(figures)  # a string: pytest shows it whole, examples and all
    assert (figures["lost"], figures["duplicated"], figures["stale"], figures["stranded"]) == (0, 0, 0, 0)
    assert all(count > 0 for count in figures["faults"].values()), figures["faults"]
    assert set(figures["faults"]) >= {
        "worker_timeouts",
        "callbacks_lost",
        "dispositions_changed",
        "stream_retries_exhausted",
        "reconciler_runs",
    }
    assert figures["in_crm"] + figures["dead_lettered"] == sum(
        p["calls_with_disposition"] for p in figures["phases"].values()
    )
    api = figures["phases"][sink]
    assert api["duplicates_suppressed"] == 2 * api["events_posted"] // 3  # every event came 3 times
