"""Schemathesis against the generated OpenAPI document, on the running local stack: generated and
malformed requests get no 5xx, every answer matches the schema, and a request without a token (or with a
broken one) is refused. Each caller fuzzes the operations its scopes admit, with its own token."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.local.test_local_run import token

ROOT = Path(__file__).resolve().parents[2]
CALLERS = {"genesys": ("--include-tag", "ingestion"), "source-crm": ("--include-path-regex", "^/workitems")}


@pytest.mark.parametrize("client", sorted(CALLERS))
def test_generated_requests_get_no_5xx_responses_match_the_schema_and_auth_is_enforced(
    local_stack: dict[str, str], client: str
) -> None:
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable, "-m", "schemathesis.cli", "run", str(ROOT / "docs" / "openapi.json"),
            "--url", local_stack["API"],
            "-H", f"Authorization: Bearer {token(local_stack['API'], client)}",
            *CALLERS[client],
            "--checks", "not_a_server_error,response_schema_conformance,ignored_auth",
            "--max-examples", "25",
            "--seed", "7",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]
