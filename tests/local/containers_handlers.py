"""Handlers for the function-host tests: each shows one thing a Lambda container does."""

from __future__ import annotations

import os
import time
from typing import Any


def environment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """What this process was started with, and the context's time left."""
    return {
        "value": os.environ.get(event["name"]),
        "pid": os.getpid(),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def slow(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    time.sleep(float(event["seconds"]))
    return {"slept": event["seconds"]}


def failing(event: dict[str, Any], _context: Any) -> None:
    raise ValueError(event["why"])


def crashing(_event: dict[str, Any], _context: Any) -> None:
    os._exit(3)
