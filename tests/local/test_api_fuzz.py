"""Schemathesis against the generated OpenAPI document, on the running local stack: generated and
malformed requests get no 5xx, every answer matches the schema, and a request without a token (or with a
broken one) is refused. Each caller fuzzes the operations its scopes admit, with its own token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.local.test_local_run import token

ROOT = Path(__file__).resolve().parents[2]
INGESTION, WORKITEMS = ("--include-tag", "ingestion"), ("--include-path-regex", "^/workitems")
CALLERS = {"genesys": INGESTION, "source-crm": WORKITEMS}


def schemathesis(base: str, client: str, operations: tuple[str, str], checks: str, examples: int) -> str | None:
    """Run schemathesis with ``client``'s token on ``operations``; the report's tail if a check failed."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable, "-m", "schemathesis.cli", "run", str(ROOT / "docs" / "openapi.json"),
            "--url", base,
            "-H", f"Authorization: Bearer {token(base, client)}",
            *operations,
            "--checks", checks,
            "--max-examples", str(examples),
            "--seed", "7",
        ],
        cwd=ROOT,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.local.wrong_scope_checks", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # fmt: skip
    return None if done.returncode == 0 else done.stdout[-4000:]


@pytest.mark.parametrize("client", sorted(CALLERS))
def test_generated_requests_get_no_5xx_responses_match_the_schema_and_auth_is_enforced(
    local_stack: dict[str, str], client: str
) -> None:
    checks = "not_a_server_error,response_schema_conformance,ignored_auth"
    assert schemathesis(local_stack["API"], client, CALLERS[client], checks, 25) is None


@pytest.mark.parametrize(("client", "operations"), [("source-crm", INGESTION), ("genesys", WORKITEMS)])
def test_a_token_without_the_operations_scope_is_refused_everywhere(
    local_stack: dict[str, str], client: str, operations: tuple[str, str]
) -> None:
    assert schemathesis(local_stack["API"], client, operations, "refused_for_the_wrong_scope", 5) is None
