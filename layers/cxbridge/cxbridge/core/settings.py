"""Settings read from the environment once, validated, and shared through cached getters.

Each feature declares its own groups (``<feature>/settings.py``) and reads only the group it needs, so a
missing variable fails the cold start of the function that uses it and nothing else.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from cxbridge.core import wiring

if TYPE_CHECKING:
    from collections.abc import Callable


class EnvGroup(BaseModel):
    """A group of environment variables, by their names as aliases; variables of other groups are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


def from_environment[G: EnvGroup](group: type[G]) -> Callable[[], G]:
    """A cached getter that parses ``group`` from the environment on first use (``wiring.reset`` forgets it)."""

    @lru_cache(maxsize=1)
    def settings() -> G:
        return group.model_validate(dict(os.environ))

    settings.__doc__ = f"{group.__name__}, parsed from the environment on first use."
    wiring.register(settings.cache_clear)
    return settings
