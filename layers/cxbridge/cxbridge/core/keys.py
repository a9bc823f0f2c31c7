"""Keys the stack keeps for itself in Secrets Manager: ``{"current": "...", "previous": "..."}``.

``current`` signs and keys what is made now; ``previous`` (optional) is still accepted, so a rotation
(write the new key as current, the old one as previous) never breaks what is in flight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MIN_KEY_CHARS = 32


@dataclass(frozen=True, slots=True)
class Keys:
    current: bytes
    previous: bytes | None = None

    def accepted(self) -> tuple[bytes, ...]:
        """Every key a presented token may have been made with, newest first."""
        return (self.current,) if self.previous is None else (self.current, self.previous)


def keys_from(secret: Any) -> Keys:
    """The keys of a secret's JSON value; a missing or short key fails the cold start, not a request."""
    if not isinstance(secret, dict):
        raise ValueError('a key secret must be a JSON object {"current": ..., "previous": ...}')
    values = [secret.get(name) for name in ("current", "previous")]
    for name, value in zip(("current", "previous"), values, strict=True):
        if value is not None and (not isinstance(value, str) or len(value) < MIN_KEY_CHARS):
            raise ValueError(f"the key secret's {name} must be a string of at least {MIN_KEY_CHARS} characters")
    current, previous = values
    if current is None:
        raise ValueError("the key secret has no current key")
    return Keys(current.encode(), previous.encode() if previous else None)
