"""What every feature's composition root shares: one ``reset`` that forgets all cached wiring.

Each feature wires its services in its own ``wiring`` module (cached factories) and registers their
``cache_clear`` here when it is imported, so a handler imports only its feature's wiring and tests (or the
local stack, after the environment or the AWS endpoint changes) still forget everything with one call.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

_RESETTERS: list[Callable[[], None]] = []


def register(*clear: Callable[[], None]) -> None:
    """Have ``reset`` call these (the ``cache_clear`` of a module's cached factories and settings)."""
    _RESETTERS.extend(clear)


def reset() -> None:
    """Forget every cached setting, client and service of every feature imported so far, and Powertools'
    cached secrets and parameters if this process ever loaded them."""
    for clear in _RESETTERS:
        clear()
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if parameters is not None:
        parameters.clear_caches()
