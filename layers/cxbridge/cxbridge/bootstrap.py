"""Composition root: services wired to their adapters once per process. Tests call ``reset``."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from cxbridge.adapters.aws import client
from cxbridge.adapters.dynamodb import DynamoCallRecordStore
from cxbridge.config import ingest_settings, outbox_settings
from cxbridge.services.ingest import IngestService

if TYPE_CHECKING:
    from collections.abc import Callable

    from cxbridge.services.outbox import OutboxService

# Cache-clearing callbacks of every composition module imported so far (each registers its own), so that
# a handler imports only the wiring it uses and ``reset`` still forgets everything.
_RESETTERS: list[Callable[[], None]] = []


def register(*clear: Callable[[], None]) -> None:
    """Have ``reset`` call these (the ``cache_clear`` of a composition module's cached factories)."""
    _RESETTERS.extend(clear)


@lru_cache(maxsize=1)
def ingest_service() -> IngestService:
    settings = ingest_settings()
    store = DynamoCallRecordStore(client("dynamodb"), settings.call_records_table, settings.record_retention_days)
    return IngestService(store)


@lru_cache(maxsize=1)
def outbox_service() -> OutboxService:
    # Imported here: the ingest handlers share this module, and the job model is cold start they do not use.
    from cxbridge.adapters.sqs import SqsJobQueue  # noqa: PLC0415
    from cxbridge.services.outbox import OutboxService  # noqa: PLC0415

    return OutboxService(SqsJobQueue(client("sqs"), outbox_settings().crm_sync_queue_url))


def reset() -> None:
    """Forget every cached setting, client and service (after the environment or AWS endpoint changes)."""
    from cxbridge import config  # noqa: PLC0415 - local to keep the reset list next to the caches

    for cached in (ingest_service, outbox_service, client, config.ingest_settings, config.outbox_settings):
        cached.cache_clear()
    for clear in _RESETTERS:
        clear()
