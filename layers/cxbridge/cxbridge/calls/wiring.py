"""Composition root of the calls feature: the ingest service on the call-records table, once per process."""

from __future__ import annotations

from functools import lru_cache

from cxbridge.calls.ingest import IngestService
from cxbridge.calls.settings import ingest_settings
from cxbridge.calls.store import DynamoCallRecordStore
from cxbridge.core import wiring
from cxbridge.core.aws import client


@lru_cache(maxsize=1)
def ingest_service() -> IngestService:
    settings = ingest_settings()
    store = DynamoCallRecordStore(client("dynamodb"), settings.call_records_table, settings.record_retention_days)
    return IngestService(store)


wiring.register(ingest_service.cache_clear)
