"""Ingest one conversation event: merge it into the call record exactly once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cxbridge.calls.record import MergeOutcome, merge
from cxbridge.core.errors import TransientFailure, VersionConflict

if TYPE_CHECKING:
    from cxbridge.calls.event import CallEvent
    from cxbridge.calls.ports import CallRecordStore


class IngestService:
    """Read, merge, conditionally write; on a concurrent write, read and merge again.

    A redelivered or older event changes nothing and writes nothing, so it costs one read. Two copies
    racing both read the same version; the conditional write lets one through and the other, on its
    second read, sees a duplicate.
    """

    def __init__(self, store: CallRecordStore, max_attempts: int = 5) -> None:
        self._store = store
        self._max_attempts = max_attempts

    def ingest(self, event: CallEvent) -> MergeOutcome:
        for _ in range(self._max_attempts):
            result = merge(self._store.get(event.conversation_id), event)
            if result.outcome is not MergeOutcome.APPLIED:
                return result.outcome
            try:
                self._store.save(result.record)
            except VersionConflict:
                continue
            return MergeOutcome.APPLIED
        raise TransientFailure("call record changed concurrently on every attempt")
