"""The port of the calls feature: where call records are kept (DynamoDB, or a fake in tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cxbridge.calls.record import CallRecord


class CallRecordStore(Protocol):
    """Call records with optimistic concurrency on ``CallRecord.version``."""

    def get(self, conversation_id: str) -> CallRecord | None:
        """The record as last written, or None."""
        ...

    def save(self, record: CallRecord) -> None:
        """Write the record if it is still at ``record.version``; else raise ``VersionConflict``."""
        ...
