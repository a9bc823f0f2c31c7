"""The local stack's Lambda containers: each function its own process, environment, time-out and errors."""

from __future__ import annotations

import os

import pytest

from local.function_host import Container, FunctionError

HANDLERS = "tests.local.containers_handlers"


def container(handler: str, **variables: str) -> Container:
    return Container("TestFunction", f"{HANDLERS}.{handler}", {**os.environ, **variables})


def test_each_container_runs_with_its_own_environment_and_stays_warm() -> None:
    api = container("environment", GENESYS_RETRY_BUDGET_S="2")
    step = container("environment", GENESYS_RETRY_BUDGET_S="10")
    try:
        first = api.invoke({"name": "GENESYS_RETRY_BUDGET_S"}, timeout_ms=5_000)
        again = api.invoke({"name": "GENESYS_RETRY_BUDGET_S"}, timeout_ms=5_000)
        other = step.invoke({"name": "GENESYS_RETRY_BUDGET_S"}, timeout_ms=5_000)
    finally:
        api.stop()
        step.stop()
    assert (first["value"], other["value"]) == ("2", "10")
    assert first["pid"] == again["pid"] != other["pid"]  # a warm container keeps its process
    assert first["pid"] != os.getpid()
    assert 0 < first["remaining_ms"] <= 5_000  # the context counts the invocation's own timeout
    assert api.cold_starts == 1


def test_an_invocation_past_its_timeout_is_killed_and_the_next_one_starts_cold() -> None:
    slow = container("slow")
    try:
        with pytest.raises(FunctionError) as timed_out:
            slow.invoke({"seconds": 30}, timeout_ms=500)
        assert timed_out.value.error_type == "Sandbox.Timedout"
        assert slow.invoke({"seconds": 0}, timeout_ms=5_000) == {"slept": 0}
    finally:
        slow.stop()
    assert slow.cold_starts == 2


def test_a_handler_error_is_reported_as_lambda_reports_it_and_the_container_stays() -> None:
    failing = container("failing")
    try:
        with pytest.raises(FunctionError, match="ValueError: no such call") as raised:
            failing.invoke({"why": "no such call"}, timeout_ms=5_000)
        with pytest.raises(FunctionError):
            failing.invoke({"why": "again"}, timeout_ms=5_000)
    finally:
        failing.stop()
    assert raised.value.error_type == "ValueError"
    assert failing.cold_starts == 1


def test_a_process_that_dies_mid_invocation_is_an_error_not_a_hang() -> None:
    crashing = container("crashing")
    try:
        with pytest.raises(FunctionError) as died:
            crashing.invoke({}, timeout_ms=30_000)
    finally:
        crashing.stop()
    assert died.value.error_type == "Runtime.ExitError"


def test_a_handler_that_cannot_be_imported_fails_its_init() -> None:
    missing = container("no_such_handler")
    try:
        with pytest.raises(FunctionError) as init:
            missing.invoke({}, timeout_ms=5_000)
    finally:
        missing.stop()
    assert init.value.error_type == "Runtime.InitError"


def test_a_handler_given_less_time_than_its_timeout_is_killed_only_past_the_timeout() -> None:
    slow = container("slow")
    try:
        assert slow.invoke({"seconds": 1.0}, timeout_ms=200, kill_after_ms=10_000) == {"slept": 1.0}
    finally:
        slow.stop()
