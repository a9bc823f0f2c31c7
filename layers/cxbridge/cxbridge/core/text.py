"""What an id or a string must look like before it may travel on (to a table, a log line, a CRM).

Genesys ids are UUIDs; a value that is not one was not sent by Genesys. Free text that can reach a CRM
must not carry control or bidirectional formatting characters (a U+202E in a disposition reorders what
an agent reads; a NUL truncates it in some stores): refused with a 400 naming the field, never cleaned.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

UUID_PATTERN = r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
# Control, format (bidi overrides, zero-width), surrogate, private-use, line and paragraph separators.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def _safe(value: str) -> str:
    if any(unicodedata.category(ch) in _UNSAFE_CATEGORIES for ch in value):
        raise ValueError("must not contain control or bidirectional formatting characters")
    return value


GenesysId = Annotated[str, Field(pattern=UUID_PATTERN, description="a Genesys Cloud id (UUID)")]
# Wrap-up codes: a UUID, or a built-in system code such as ININ-WRAP-UP-TIMEOUT.
WrapupCodeId = Annotated[
    str, Field(pattern=UUID_PATTERN[:-1] + r"|^ININ-[A-Z0-9-]{1,64}$", description="a wrap-up code id")
]
# Ids of the seed guide's webhook, which is not a Genesys format: letters, digits, '_' and '-' only.
PlainId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,128}$")]
SafeText = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_safe)]
