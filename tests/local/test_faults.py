"""Fault injection through the local stack (quick size): every outcome in the CRM, current, or dead-lettered.

One run in the suite, Dataverse then the bot deployed per call: every fault kind, in the time CI has.
``make faults`` runs the others (``SINK=salesforce``, ``AA_MODE=workqueue``); README has their figures.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from email.message import Message
from io import BytesIO
from pathlib import Path
from urllib.error import HTTPError

import pytest

from local import faults

ROOT = Path(__file__).resolve().parents[2]
ALL_FAULTS = {
    "worker_timeouts",
    "callbacks_lost",
    "dispositions_changed",
    "stream_retries_exhausted",
    "reconciler_runs",
}
RUNS = [("dynamics", "deploy", None)]  # (--sink, --aa-mode, --only)


@pytest.mark.parametrize(("sink", "aa_mode", "only"), RUNS)
def test_every_fault_kind_is_injected_and_nothing_is_lost_duplicated_stale_or_stranded(
    tmp_path: Path, sink: str, aa_mode: str, only: str | None
) -> None:
    output = tmp_path / "faults.log"  # its stdout and its functions' log lines (a file: a pipe could fill)
    command = [sys.executable, "-m", "local.faults", "--calls", "60", "--timeout", "360", "--sink", sink]
    command += ["--aa-mode", aa_mode, *(["--only", only] if only else [])]
    with output.open("wb") as out:
        done = subprocess.run(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=1500, check=False)  # noqa: S603
    figures = json.loads(output.read_text(encoding="utf-8").splitlines()[-1])  # the last line is one JSON object
    assert done.returncode == 0, json.dumps(figures)  # a string: pytest shows it whole, examples and all
    assert (figures["lost"], figures["duplicated"], figures["stale"], figures["stranded"]) == (0, 0, 0, 0)
    expected = ALL_FAULTS - ({"callbacks_lost"} if only == "api" else set())  # only a bot loses callbacks
    assert set(figures["faults"]) == ALL_FAULTS
    assert all(figures["faults"][kind] > 0 for kind in expected), figures["faults"]
    assert figures["in_crm"] + figures["dead_lettered"] == sum(
        p["calls_with_disposition"] for p in figures["phases"].values()
    )
    for phase in figures["phases"].values():
        # Every event came 3 times and is applied at most once. (Under load a write DynamoDB applied but
        # whose answer was lost is retried by botocore, meets its own version and answers "duplicate".)
        assert phase["events_applied"] <= phase["events_posted"] // 3
        assert phase["duplicates_suppressed"] >= 2 * phase["events_posted"] // 3


def test_a_phase_that_fails_reports_its_cause_across_the_process_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    """An ``HTTPError`` holds its open response and does not pickle: the run must still say what failed."""

    def failing_phase(*_args: object, **_kwargs: object) -> dict[str, object]:
        raise HTTPError("http://127.0.0.1/genesys", 401, "Unauthorized", Message(), BytesIO(b"{}"))

    monkeypatch.setattr(faults, "run_phase", failing_phase)
    with pytest.raises(RuntimeError) as failure:
        faults._run_phase_in_process("salesforce", 10)
    assert "HTTP Error 401: Unauthorized" in str(pickle.loads(pickle.dumps(failure.value)))  # noqa: S301 - our own bytes
