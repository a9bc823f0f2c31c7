"""The sync-status store's batch reads (moto with the template's table): keys DynamoDB leaves unprocessed
under throttling are asked again, after a pause, and a table that stays throttled is a transient failure
(the job comes back) rather than a read that spins or answers with records missing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from cxbridge.calls.store import UNPROCESSED_ROUNDS, DynamoSyncStatusStore
from cxbridge.core.errors import TransientFailure
from scripts.build_events import api_gateway_event
from tests.builders import body
from tests.integration.conftest import TABLE

if TYPE_CHECKING:
    from tests.integration.conftest import Stack

CALLS = [f"00000000-0000-4000-8000-0000000002{n:02d}" for n in range(5)]


class Throttled:
    """The real client, but its first ``rounds`` batch reads leave every key unprocessed."""

    def __init__(self, client: Any, rounds: int) -> None:
        self._client, self.rounds, self.requests = client, rounds, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.requests += 1
        if self.requests > self.rounds:
            answer: dict[str, Any] = self._client.batch_get_item(RequestItems=RequestItems)
            return answer
        return {"Responses": {}, "UnprocessedKeys": RequestItems}  # DynamoDB may leave every key unread


@pytest.fixture
def calls(stack: Stack) -> list[str]:
    for cid in CALLS:
        event = api_gateway_event("/genesys/conversations/acw", {**body("acw-a"), "conversationId": cid})
        assert stack.invoke("ingest_acw", event)["statusCode"] == 202
    return CALLS


def test_keys_left_unprocessed_are_asked_again_after_a_growing_pause(stack: Stack, calls: list[str]) -> None:
    client, pauses = Throttled(stack.dynamodb, rounds=3), list[float]()
    store = DynamoSyncStatusStore(client, TABLE, sleep=pauses.append)

    records = store.current([*calls, calls[0]])  # a repeated id is read once

    assert sorted(records) == calls
    assert client.requests == 4
    assert pauses == sorted(pauses)
    assert len(pauses) == 3


def test_a_table_that_stays_throttled_is_a_transient_failure(stack: Stack, calls: list[str]) -> None:
    client = Throttled(stack.dynamodb, rounds=UNPROCESSED_ROUNDS)
    store = DynamoSyncStatusStore(client, TABLE, sleep=lambda _: None)

    with pytest.raises(TransientFailure, match="unprocessed"):
        store.current(calls)
    assert client.requests == UNPROCESSED_ROUNDS
