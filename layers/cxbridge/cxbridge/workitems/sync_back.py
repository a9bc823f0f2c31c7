"""Deliver a closed workitem's outcome to its source system, once per workitem and final status.

The queue gives at-least-once delivery; the row's ``syncedKey`` makes a repeat a no-op here, and the
``Idempotency-Key`` header lets the receiver drop one that slipped between our POST and our write. A
failure retries after exponential backoff with full jitter (``Retry-After`` is a floor); a refusal that
retrying cannot fix (a 4xx) is sent round again at once, so it reaches the dead-letter queue after the
queue's receive count instead of waiting out the backoff.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cxbridge.core.observability import logger
from cxbridge.core.upstream import UpstreamFailure, WriteStatus, backoff_delay
from cxbridge.workitems.service import Rows

if TYPE_CHECKING:
    from collections.abc import Callable

    from cxbridge.workitems.models import CallbackJob
    from cxbridge.workitems.ports import CallbackQueue, CallbackSender, WorkitemStore


@dataclass(frozen=True, slots=True)
class CallbackRetry:
    base_s: float = 5.0
    cap_s: float = 900.0


class CallbackService:
    """One received sync-back job at a time."""

    def __init__(
        self,
        store: WorkitemStore,
        sender: CallbackSender,
        queue: CallbackQueue,
        *,
        retry: CallbackRetry | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._rows = Rows(store)
        self._sender = sender
        self._queue = queue
        self._retry = retry or CallbackRetry()
        self._rand = rand

    def deliver(self, job: CallbackJob, receive_count: int, receipt_handle: str) -> bool:
        """True when the job is done (delivered now or before, or nothing to deliver); False when it was
        postponed for a retry (the caller reports it as a batch item failure)."""
        record = self._rows.store.get(job.workitemId)
        if record is None or record.callback_url is None or record.synced_key == job.key:
            return True
        try:
            self._sender.deliver(record.callback_url, job.key, job.payload)
        except UpstreamFailure as exc:
            delay = 0.0
            if exc.status is not WriteStatus.PERMANENT:
                attempt = max(0, receive_count - 1)
                delay = backoff_delay(attempt, self._retry.base_s, self._retry.cap_s, exc.retry_after_s, self._rand)
            logger.warning(
                "callback not delivered",
                extra={"workitemId": job.workitemId, "reason": exc.reason, "retryInS": round(delay)},
            )
            self._queue.postpone(receipt_handle, delay)
            return False
        self._rows.change(job.workitemId, lambda r: replace(r, synced_key=job.key))
        return True
