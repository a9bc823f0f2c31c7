"""What features need of Genesys, as small interfaces: the CRM worker and the toil report both name wrap-up codes."""

from __future__ import annotations

from typing import Protocol


class DispositionResolver(Protocol):
    """Wrap-up code id → the name a CRM shows."""

    def resolve(self, code_id: str) -> str:
        """The name; raises ``UpstreamFailure`` when it cannot be known now."""
        ...
