"""``make local`` stops with make, whatever signal ends make; ``make demo``'s terminal shows only progress
and the summary, its log lines go to a file."""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")


def listening(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, int(port))) == 0


@pytest.mark.skipif(MAKE is None, reason="make is not installed")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_signal_that_ends_make_stops_the_local_stack(signum: signal.Signals) -> None:
    """make passes a SIGTERM on to the stack; after a SIGKILL the stack sees its parent gone."""
    assert MAKE is not None
    # -o: the venv counts as installed (the test runs in it); the stack is make's child, as for a user.
    make = subprocess.Popen(  # noqa: S603 - make with our own Makefile
        [MAKE, "-s", "-o", f"{sys.prefix}/.installed", "local", "PORT=0", f"VENV={sys.prefix}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the signal reaches make alone, as `kill <pid of make>` does
    )
    assert make.stdout is not None
    api = None
    for line in make.stdout:
        match = re.match(r"API\s+(http://127\.0\.0\.1:\d+)", line)
        api = match.group(1) if match else api
        if line.startswith("Ctrl-C"):
            break
    assert api is not None and listening(api)
    tail: list[str] = []  # keep reading: a full pipe would block the stack's writes
    reader = threading.Thread(target=lambda: tail.extend(make.stdout or ()), daemon=True)
    reader.start()
    make.send_signal(signum)
    make.wait(timeout=30)
    deadline = time.monotonic() + 30
    while listening(api) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not listening(api), "the stack outlived make"
    reader.join(timeout=10)
    assert "stopping\n" in tail


def test_demo_prints_progress_and_the_summary_and_logs_to_a_file(tmp_path: Path) -> None:
    log = tmp_path / "demo.log"
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "local.demo", "--calls", "20", "--workitems", "2", "--sla", "4", "--log", str(log)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0] == f"logs: {log}"
    assert lines[-1].startswith("consistent:")
    assert not [line for line in lines if '"level"' in line]  # no log line on the terminal
    assert len(lines) < 60
    summary = json.loads(done.stdout[done.stdout.index("{\n") : done.stdout.rindex("\n}") + 2])
    # The CRM knows most callers (issue 18): their records link the contact, and no record a wrong one;
    # those written unlinked while the CRM throttled lookups were reopened by the reconciler and linked.
    assert summary["calls_of_known_customers"] > 0
    assert summary["calls_linked"] == summary["calls_of_known_customers"]
    assert summary["calls_linked_at_sync"] + summary["calls_reopened_to_link"] >= summary["calls_linked"]
    assert summary["wrong_links"] == 0
    logged = log.read_text().splitlines()
    assert len(logged) > 50
    assert any('"level":"INFO"' in line for line in logged)
    # Each function logs from its own process, under the service name the template gives it.
    services = {json.loads(line)["service"] for line in logged if line.startswith('{"level"')}
    assert {"ingest-acw", "ingest-user-end", "crm-job-outbox", "crm-sync-worker", "workitems-api"} <= services
