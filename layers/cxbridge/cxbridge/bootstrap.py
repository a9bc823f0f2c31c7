"""Composition root: services wired to their adapters once per process. Tests call ``reset``."""

from __future__ import annotations

from functools import lru_cache

from cxbridge.adapters.aws import client
from cxbridge.adapters.dynamodb import DynamoCallRecordStore
from cxbridge.adapters.sqs import SqsJobQueue
from cxbridge.config import ingest_settings, outbox_settings
from cxbridge.services.ingest import IngestService
from cxbridge.services.outbox import OutboxService


@lru_cache(maxsize=1)
def ingest_service() -> IngestService:
    settings = ingest_settings()
    store = DynamoCallRecordStore(client("dynamodb"), settings.call_records_table, settings.record_retention_days)
    return IngestService(store)


@lru_cache(maxsize=1)
def outbox_service() -> OutboxService:
    return OutboxService(SqsJobQueue(client("sqs"), outbox_settings().crm_sync_queue_url))


def reset() -> None:
    """Forget every cached setting, client and service (after the environment or AWS endpoint changes)."""
    from cxbridge import config  # noqa: PLC0415 - local to keep the reset list next to the caches

    for cached in (ingest_service, outbox_service, client, config.ingest_settings, config.outbox_settings):
        cached.cache_clear()
