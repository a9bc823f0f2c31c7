"""The local stack, started once for these tests as a user starts it (``python -m local.run``), and the
environment of the tests that start their own ``LocalStack`` in this process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cxbridge.core import wiring

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def local_stack() -> Iterator[dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "local.run", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    urls: dict[str, str] = {}
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        for name in ("API", "CRM", "Genesys", "AWS (moto)"):
            match = re.match(rf"{re.escape(name)}\s+(http://127\.0\.0\.1:\d+)", line)
            if match:
                urls[name] = match.group(1)
        if line.startswith("Ctrl-C") or time.monotonic() > deadline:
            break
    assert set(urls) == {"API", "CRM", "Genesys", "AWS (moto)"}, urls
    # Keep reading its output: a full pipe would block the stack's log writes and so every request.
    tail: list[str] = []
    reader = threading.Thread(target=lambda: tail.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        yield urls
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        reader.join(timeout=10)
        assert proc.returncode == 0
        assert any("stopping" in line for line in tail)


@pytest.fixture
def environment() -> Iterator[None]:
    """The stack points the process's clients at its moto server; put the environment back after."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    wiring.reset()
