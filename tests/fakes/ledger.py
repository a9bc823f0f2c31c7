"""``BotDeploymentLedger`` in memory, for tests and the local stack; production needs a durable one."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from cxbridge.crm.outcome import LedgerEntry

if TYPE_CHECKING:
    from collections.abc import Callable


class InMemoryBotDeploymentLedger:
    """A dict behind a lock: ``claim`` is the conditional write a durable ledger does with a condition."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, LedgerEntry] = {}
        self._deployments: dict[str, str] = {}  # deployment id -> conversation, kept as the durable one does

    def claim(self, conversation_id: str, content: str) -> LedgerEntry | None:
        with self._lock:
            existing = self._entries.get(conversation_id)
            if existing is None or (existing.settled and existing.content != content):
                self._entries[conversation_id] = LedgerEntry(conversation_id, self._clock(), content=content)
                return None
            return existing

    def settle(self, conversation_id: str, deployment_id: str) -> None:
        with self._lock:
            entry = self._entries.get(conversation_id)
            if entry is not None and entry.deployment_id == deployment_id:
                self._entries[conversation_id] = replace(entry, settled=True)

    def record_deployment(self, conversation_id: str, deployment_id: str, content: str) -> None:
        with self._lock:
            entry = self._entries.get(conversation_id)
            if entry is not None and entry.deployment_id is None and entry.content == content:
                self._entries[conversation_id] = replace(entry, deployment_id=deployment_id)
            self._deployments[deployment_id] = conversation_id

    def release(self, conversation_id: str, claimed_at: float | None = None) -> None:
        with self._lock:
            entry = self._entries.get(conversation_id)
            if entry is not None and entry.deployment_id is None and claimed_at in (None, entry.claimed_at):
                del self._entries[conversation_id]

    def forget(self, conversation_id: str, deployment_id: str) -> None:
        """Drop the entry after a failed bot run, if it is still that run's."""
        with self._lock:
            entry = self._entries.get(conversation_id)
            if entry is not None and entry.deployment_id == deployment_id:
                del self._entries[conversation_id]

    def fail(self, conversation_id: str, deployment_id: str, reason: str) -> None:
        """Mark the entry's work item failed with the bot's reason, if it is still this item's."""
        with self._lock:
            entry = self._entries.get(conversation_id)
            if entry is not None and entry.deployment_id == deployment_id:
                self._entries[conversation_id] = replace(entry, failed=True, reason=reason)

    def reclaim(self, entry: LedgerEntry, content: str, attempts: int) -> bool:
        """Take over a failed entry, unchanged since read, for a new work item."""
        with self._lock:
            if self._entries.get(entry.conversation_id) != entry or not entry.failed:
                return False
            self._entries[entry.conversation_id] = LedgerEntry(
                entry.conversation_id, self._clock(), content=content, attempts=attempts
            )
            return True

    def conversation_for(self, deployment_id: str) -> str | None:
        """The conversation a Control Room callback is about."""
        with self._lock:
            return self._deployments.get(deployment_id)

    def get(self, conversation_id: str) -> LedgerEntry | None:
        """The entry as it stands (for inspection)."""
        with self._lock:
            return self._entries.get(conversation_id)
