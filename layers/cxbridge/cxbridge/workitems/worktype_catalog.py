"""The worktype mapping: the document shipped in the package, or an SSM parameter that replaces it.

The parameter is read through Powertools Parameters with a cache (``max_age``), so a change reaches
running functions within minutes without a deploy; a document that does not validate is refused and the
last good one stays in use.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from pydantic import ValidationError

from cxbridge.core.observability import logger
from cxbridge.workitems.worktype import WorktypeDocument

if TYPE_CHECKING:
    from collections.abc import Callable

    from cxbridge.workitems.worktype import WorktypeConfig

PACKAGED = "worktypes.json"


def packaged_document() -> str:
    """The JSON text of the mapping shipped with the package."""
    return resources.files("cxbridge.workitems").joinpath(PACKAGED).read_text(encoding="utf-8")


class WorktypeCatalog:
    """Worktype key → configuration, from a JSON source read on each lookup (the source caches)."""

    def __init__(self, read: Callable[[], str] = packaged_document) -> None:
        self._read = read
        self._raw: str | None = None
        self._document: WorktypeDocument | None = None

    def get(self, key: str) -> WorktypeConfig | None:
        return self.document().worktypes.get(key)

    def document(self) -> WorktypeDocument:
        """The current document; a new text that fails validation keeps the previous one (if any)."""
        raw = self._read()
        if raw != self._raw or self._document is None:
            try:
                document = WorktypeDocument.model_validate_json(raw)
            except ValidationError:
                if self._document is None:
                    raise
                logger.error("worktype mapping rejected; keeping the previous one")
                return self._document
            self._raw, self._document = raw, document
        return self._document


def parameter_source(name: str, max_age_s: int = 300) -> Callable[[], str]:
    """Read the mapping from SSM parameter ``name`` (cached ``max_age_s`` by Powertools)."""
    from cxbridge.core.aws import parameter  # noqa: PLC0415 - only when configured

    def read() -> str:
        return parameter(name, max_age_s)

    return read
