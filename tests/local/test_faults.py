"""Fault injection through the local stack (quick size): every outcome in the CRM, current, or dead-lettered.

The three runs (Salesforce and Dataverse with the bot deployed per call, Salesforce with the bot's work
queue) start together: each spends most of its time waiting out backoffs and the reconciler's window,
so side by side they take little longer than one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
RUNS = [("salesforce", "deploy"), ("dynamics", "deploy"), ("salesforce", "workqueue")]


@dataclass
class Run:
    process: subprocess.Popen[bytes]
    output: Path  # the run's stdout and its functions' log lines (a file: a full pipe would stall the run)


@pytest.fixture(scope="module")
def fault_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], Run]]:
    folder = tmp_path_factory.mktemp("faults")
    runs = {}
    for sink, aa_mode in RUNS:
        output = folder / f"{sink}-{aa_mode}.log"
        with output.open("wb") as out:
            command = [sys.executable, "-m", "local.faults", "--calls", "60", "--timeout", "360", "--sink", sink]
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, names from RUNS
                [*command, "--aa-mode", aa_mode], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        runs[(sink, aa_mode)] = Run(process, output)
    try:
        yield runs
    finally:
        for run in runs.values():
            run.process.kill()
            run.process.wait()


@pytest.mark.parametrize(("sink", "aa_mode"), RUNS)
def test_every_fault_kind_is_injected_and_nothing_is_lost_duplicated_stale_or_stranded(
    fault_runs: dict[tuple[str, str], Run], sink: str, aa_mode: str
) -> None:
    run = fault_runs[(sink, aa_mode)]
    run.process.wait(timeout=1500)
    last = run.output.read_text(encoding="utf-8").splitlines()[-1]
    figures = json.loads(last)  # the last line is one JSON object
    assert run.process.returncode == 0, json.dumps(figures)  # a string: pytest shows it whole
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
    # Every event came 3 times and is applied at most once. (Under load a write that DynamoDB applied but
    # whose answer was lost is retried by botocore, meets its own version and answers "duplicate": so the
    # duplicates are at least two thirds, not exactly.)
    assert api["events_applied"] <= api["events_posted"] // 3
    assert api["duplicates_suppressed"] >= 2 * api["events_posted"] // 3
