"""In-memory adapters for the CRM-sync ports: the fakes tests and the local demo wire in place of DynamoDB."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from cxbridge.calls.record import SyncStatus
from cxbridge.core.errors import VersionConflict
from cxbridge.crm.breaker import BreakerState

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from cxbridge.calls.record import CallRecord
    from cxbridge.crm.lookup import LookupQuery, LookupResult


class InMemorySyncStatusStore:
    """``SyncStatusStore`` over a dict of records; marking bumps the version, as the DynamoDB store does."""

    def __init__(self, records: Iterable[CallRecord] = ()) -> None:
        self.records = {r.conversation_id: r for r in records}
        self.reasons: dict[str, str] = {}
        self.crm_ids: dict[str, str | None] = {}
        self.contact_linked: dict[str, bool | None] = {}  # issue 18: the write carried the link
        self.synced_at: dict[str, int] = {}
        self.relinks: dict[str, int] = {}
        self.now_ms = 0  # what mark_synced records as syncedAt

    def current(self, conversation_ids: Sequence[str]) -> dict[str, CallRecord]:
        return {cid: self.records[cid] for cid in conversation_ids if cid in self.records}

    def mark_synced(self, record: CallRecord, crm_id: str | None, contact_linked: bool | None = None) -> None:
        stored = self.records.get(record.conversation_id)
        if stored is None or stored.version != record.version:
            raise VersionConflict(record.conversation_id)
        self.records[record.conversation_id] = replace(
            stored, version=stored.version + 1, sync_status=SyncStatus.SYNCED
        )
        self.crm_ids[record.conversation_id] = crm_id
        self.contact_linked[record.conversation_id] = contact_linked
        self.synced_at[record.conversation_id] = self.now_ms

    def mark_failed(self, conversation_id: str, reason: str) -> None:
        stored = self.records[conversation_id]
        self.records[conversation_id] = replace(stored, version=stored.version + 1, sync_status=SyncStatus.FAILED)
        self.reasons[conversation_id] = reason

    def reopen(self, conversation_id: str) -> None:
        stored = self.records[conversation_id]
        self.records[conversation_id] = replace(stored, version=stored.version + 1, sync_status=SyncStatus.PENDING)


class InMemoryStrandedRecords(InMemorySyncStatusStore):
    """The in-memory store with the reconciler's query; ``touched`` is each record's last ingest write (ms)."""

    def __init__(self, records: Iterable[CallRecord] = ()) -> None:
        super().__init__(records)
        self.touched: dict[str, int] = {}
        self.requeued: dict[str, int] = {}

    def stranded(self, call_dates: Sequence[str], quiet_since_ms: int) -> list[CallRecord]:
        return [
            r
            for cid, r in self.records.items()
            if r.sync_status is SyncStatus.PENDING
            and r.call_date in call_dates
            and max(self.touched.get(cid, 0), self.requeued.get(cid, 0)) < quiet_since_ms
        ]

    def mark_requeued(self, conversation_id: str, now_ms: int, quiet_since_ms: int) -> bool:
        if self.records[conversation_id].sync_status is not SyncStatus.PENDING:
            return False
        if self.requeued.get(conversation_id, 0) >= quiet_since_ms:
            return False
        self.requeued[conversation_id] = now_ms
        return True

    def unlinked(self, call_dates: Sequence[str], synced_before_ms: int, max_relinks: int) -> list[CallRecord]:
        return [
            r
            for cid, r in self.records.items()
            if r.sync_status is SyncStatus.SYNCED
            and r.call_date in call_dates
            and self.contact_linked.get(cid) is False
            and self.synced_at.get(cid, 0) < synced_before_ms
            and self.relinks.get(cid, 0) < max_relinks
        ]

    def reopen_for_relink(self, record: CallRecord, max_relinks: int) -> bool:
        cid = record.conversation_id
        stored = self.records.get(cid)
        if stored is None or stored.version != record.version or stored.sync_status is not SyncStatus.SYNCED:
            return False
        if self.contact_linked.get(cid) is not False or self.relinks.get(cid, 0) >= max_relinks:
            return False
        self.relinks[cid] = self.relinks.get(cid, 0) + 1
        self.records[cid] = replace(stored, version=stored.version + 1, sync_status=SyncStatus.PENDING)
        return True


class InMemoryBreakerStore:
    """``BreakerStore`` in process memory (one worker)."""

    def __init__(self) -> None:
        self.state = BreakerState()
        self._lock = threading.Lock()

    def load(self) -> BreakerState:
        return self.state

    def update(self, change: Callable[[BreakerState], BreakerState]) -> BreakerState:
        with self._lock:
            self.state = change(self.state)
            return self.state


class InMemoryLookupCache:
    """``LookupCache`` in process memory, without expiry; ``puts`` counts the answers kept."""

    def __init__(self) -> None:
        self.answers: dict[LookupQuery, LookupResult] = {}
        self.puts = 0

    def get(self, query: LookupQuery) -> LookupResult | None:
        return self.answers.get(query)

    def put(self, query: LookupQuery, result: LookupResult) -> None:
        self.puts += 1
        self.answers[query] = result
