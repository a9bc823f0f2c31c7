"""Outbound HTTP is traced (issue 7) without loading ``requests`` before a request needs it (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys
import cxbridge.core.tracing
from aws_xray_sdk.core.patcher import _PATCHED_MODULES
print("requests" in sys.modules, sorted(_PATCHED_MODULES))
import requests, wrapt
print(sorted(_PATCHED_MODULES), isinstance(requests.Session.__dict__["request"], wrapt.FunctionWrapper))
"""


def test_requests_is_patched_when_first_imported_not_before() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_TRACE")}
    env.update(LAMBDA_TASK_ROOT=str(ROOT), AWS_REGION="us-east-1", PYTHONPATH=str(ROOT / "layers" / "cxbridge"))
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)  # noqa: S603 - our own interpreter
    before, after = out.stdout.splitlines()
    assert before == "False ['botocore']"
    assert after == "['botocore', 'requests'] True"
