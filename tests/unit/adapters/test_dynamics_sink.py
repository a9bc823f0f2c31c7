"""DynamicsSink against the Entra ID + Dataverse fake over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from cxbridge.core.oauth import TokenCache
from cxbridge.core.upstream import WriteStatus
from cxbridge.crm.dynamics import DynamicsMapping, DynamicsSink, key_literal
from cxbridge.crm.oauth import EntraTokenSource
from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET
from tests.unit.adapters.support import SHORT_TIMEOUT_S, outcome

if TYPE_CHECKING:
    from local.sandboxes.dynamics import DynamicsSandbox

ENTITY_SET = "cxb_calllogs"
KEY = "cxb_conversationid"
BULK = DynamicsMapping(
    entity_set=ENTITY_SET,
    alternate_key=KEY,
    logical_name="cxb_calllog",
    fields={"cxb_disposition": "disposition", "cxb_handleseconds": "handle_s"},
)
MAPPING = BULK.model_copy(update={"write_mode": "single"})  # one PATCH per record


def make_sink(
    server: DynamicsSandbox,
    mapping: DynamicsMapping = MAPPING,
    timeout_s: float = 5.0,
    batch_size: int = 100,
    parallel_requests: int = 4,
) -> DynamicsSink:
    source = EntraTokenSource(
        tenant_id="sandbox-tenant",
        client_id=SANDBOX_CLIENT_ID,
        client_secret=SANDBOX_SECRET,
        resource_url=server.url,
        login_base_url=server.url,
    )
    return DynamicsSink(
        mapping,
        server.url,
        TokenCache(source),
        timeout_s=timeout_s,
        batch_size=batch_size,
        parallel_requests=parallel_requests,
    )


def rows(server: DynamicsSandbox) -> dict[str, dict[str, object]]:
    table: dict[str, dict[str, object]] = server.state()["rows"].get(ENTITY_SET, {})
    return table


def test_upsert_by_alternate_key_with_odata_headers(dynamics: DynamicsSandbox) -> None:
    results = make_sink(dynamics).write([outcome(1, handle_s=None)])

    assert results[0].status is WriteStatus.WRITTEN
    row = rows(dynamics)[f"{KEY}=conv-0001"]
    assert row == {"id": results[0].crm_id, KEY: "conv-0001", "cxb_disposition": "Resolved"}
    assert dynamics.state()["last_odata_headers"] == {
        "Accept": "application/json",
        "OData-MaxVersion": "4.0",
        "OData-Version": "4.0",
        "Content-Type": "application/json",
    }


def test_single_mode_updates_the_same_row_one_request_per_record(dynamics: DynamicsSandbox) -> None:
    sink = make_sink(dynamics)
    first = sink.write([outcome(1), outcome(2)])
    second = sink.write([outcome(1, disposition="Escalated")])

    assert dynamics.requests("upsert") == 3
    assert second[0].crm_id == first[0].crm_id
    assert len(rows(dynamics)) == 2
    assert rows(dynamics)[f"{KEY}=conv-0001"]["cxb_disposition"] == "Escalated"


def test_single_quotes_in_a_key_are_doubled(dynamics: DynamicsSandbox) -> None:
    assert key_literal("o'brien 1") == "'o''brien%201'"

    results = make_sink(dynamics).write([outcome(1, conversation_id="o'brien")])

    assert results[0].status is WriteStatus.WRITTEN
    assert f"{KEY}=o'brien" in rows(dynamics)


@pytest.mark.parametrize("conversation_id", ["a/b", "a:b", "50%", "a?b", "a&b", "a\\b", "<x>", "a*b", ""])
def test_a_key_with_a_character_dataverse_cannot_take_is_permanent(
    dynamics: DynamicsSandbox, conversation_id: str
) -> None:
    results = make_sink(dynamics).write([outcome(1, conversation_id=conversation_id)])

    assert (results[0].status, results[0].reason) == (WriteStatus.PERMANENT, "key:unsupported-character")
    assert dynamics.requests("upsert") == 0


def test_429_is_throttled_with_retry_after(dynamics: DynamicsSandbox) -> None:
    dynamics.configure(throttle_ratio=1.0, retry_after_s=7)

    results = make_sink(dynamics).write([outcome(1)])

    assert (results[0].status, results[0].retry_after_s, results[0].reason) == (
        WriteStatus.THROTTLED,
        7.0,
        "0x80072322",
    )


def test_a_server_error_is_transient(dynamics: DynamicsSandbox) -> None:
    dynamics.configure(fail_ratio=1.0)

    results = make_sink(dynamics).write([outcome(1)])

    assert (results[0].status, results[0].reason) == (WriteStatus.TRANSIENT, "0x80040216")


def test_a_timeout_is_transient(dynamics: DynamicsSandbox) -> None:
    dynamics.configure(timeout_ratio=1.0)

    results = make_sink(dynamics, timeout_s=SHORT_TIMEOUT_S).write([outcome(1)])

    assert (results[0].status, results[0].reason) == (WriteStatus.TRANSIENT, "timeout")


def test_an_unknown_column_is_permanent_with_the_error_code(dynamics: DynamicsSandbox) -> None:
    dynamics.configure(columns=["cxb_disposition"])

    results = make_sink(dynamics).write([outcome(1)])

    assert (results[0].status, results[0].reason) == (WriteStatus.PERMANENT, "0x80060888")
    assert rows(dynamics) == {}


def test_an_expired_token_is_renewed_once(dynamics: DynamicsSandbox) -> None:
    dynamics.configure(expire_tokens_after=1)

    results = make_sink(dynamics).write([outcome(1), outcome(2)])

    assert [r.status for r in results] == [WriteStatus.WRITTEN] * 2
    assert dynamics.requests("token") == 2
    assert dynamics.requests("upsert") == 3


def test_a_mapping_to_an_unknown_attribute_is_permanent(dynamics: DynamicsSandbox) -> None:
    mapping = MAPPING.model_copy(update={"fields": {"cxb_notes": "wrapup_notes"}})

    results = make_sink(dynamics, mapping).write([outcome(1)])

    assert (results[0].status, results[0].reason) == (WriteStatus.PERMANENT, "mapping:wrapup_notes")
    assert dynamics.state()["requests"] == {}


def test_the_mapping_rejects_mapping_the_alternate_key() -> None:
    with pytest.raises(ValidationError, match="alternate key"):
        DynamicsMapping(entity_set=ENTITY_SET, alternate_key=KEY, fields={KEY: "conversation_id"})


def test_the_mapping_needs_the_logical_name_for_bulk_writes() -> None:
    with pytest.raises(ValidationError, match="logical_name"):
        DynamicsMapping(entity_set=ENTITY_SET, alternate_key=KEY)


# ---- UpsertMultiple ------------------------------------------------------------------------------


def test_a_batch_is_one_upsert_multiple_request_per_batch_size(dynamics: DynamicsSandbox) -> None:
    sink = make_sink(dynamics, BULK, batch_size=100)
    results = sink.write([outcome(n) for n in range(100)])
    again = sink.write([outcome(1, disposition="Escalated")])

    assert sink.max_batch == 100
    assert [r.status for r in results + again] == [WriteStatus.WRITTEN] * 101
    assert dynamics.requests("upsert_multiple") == 2
    assert dynamics.requests("message_filters") == 1  # asked once per sink
    assert dynamics.requests("upsert") == 0
    assert len(rows(dynamics)) == 100
    assert rows(dynamics)[f"{KEY}=conv-0001"]["cxb_disposition"] == "Escalated"
    assert rows(dynamics)[f"{KEY}=conv-0002"]["cxb_handleseconds"] == 386


def test_one_bad_record_is_isolated_by_halving_and_the_others_are_written(dynamics: DynamicsSandbox) -> None:
    dynamics.configure(reject_keys=["conv-0005"])

    results = make_sink(dynamics, BULK).write([outcome(n) for n in range(16)])

    by_id = {r.conversation_id: r for r in results}
    assert (by_id["conv-0005"].status, by_id["conv-0005"].reason) == (WriteStatus.PERMANENT, "0x80040265")
    assert all(r.status is WriteStatus.WRITTEN for cid, r in by_id.items() if cid != "conv-0005")
    assert set(rows(dynamics)) == {f"{KEY}=conv-{n:04d}" for n in range(16) if n != 5}
    assert dynamics.requests("upsert_multiple") == 1 + 2 * 4  # the whole, then two halves per level


def test_a_throttled_bulk_request_is_not_split_and_carries_retry_after(dynamics: DynamicsSandbox) -> None:
    sink = make_sink(dynamics, BULK)
    sink.write([outcome(99)])  # the table check is behind us
    dynamics.configure(throttle_ratio=1.0, retry_after_s=9)

    results = sink.write([outcome(n) for n in range(8)])

    assert {(r.status, r.retry_after_s, r.reason) for r in results} == {(WriteStatus.THROTTLED, 9.0, "0x80072322")}
    assert dynamics.requests("upsert_multiple") == 2  # one for conv-0099, one 429: no halves


def test_no_request_starts_once_the_time_left_is_used_up(dynamics: DynamicsSandbox) -> None:
    dynamics.configure(reject_keys=["conv-0007"])
    budget = iter([True, True, True])  # the table check, the whole request, then its first half

    results = make_sink(dynamics, BULK).write([outcome(n) for n in range(8)], lambda: next(budget, False))

    assert {(r.status, r.reason) for r in results[:4]} == {(WriteStatus.WRITTEN, None)}
    assert {(r.status, r.reason) for r in results[4:]} == {(WriteStatus.TRANSIENT, "time-budget")}


def test_a_table_without_upsert_multiple_gets_bounded_parallel_single_upserts(dynamics: DynamicsSandbox) -> None:
    dynamics.configure(bulk_tables=["account"], reject_keys=["conv-0003"])

    results = make_sink(dynamics, BULK, parallel_requests=3).write([outcome(n) for n in range(10)])

    assert [r.status for r in results].count(WriteStatus.WRITTEN) == 9
    assert results[3].status is WriteStatus.PERMANENT
    assert dynamics.requests("upsert") == 10
    assert dynamics.requests("upsert_multiple") == 0


def test_the_first_429_stops_the_single_upserts_not_yet_sent(dynamics: DynamicsSandbox) -> None:
    dynamics.configure(throttle_ratio=1.0, retry_after_s=4)

    results = make_sink(dynamics, parallel_requests=2).write([outcome(n) for n in range(40)])

    assert {(r.status, r.retry_after_s) for r in results} == {(WriteStatus.THROTTLED, 4.0)}
    assert dynamics.requests("upsert") <= 4  # those in flight when the first answered, not 40


def test_a_failed_table_check_fails_the_write_without_guessing(dynamics: DynamicsSandbox) -> None:
    dynamics.configure(fail_ratio=1.0)
    sink = make_sink(dynamics, BULK)

    results = sink.write([outcome(1)])
    dynamics.configure(fail_ratio=0.0)
    later = sink.write([outcome(1)])

    assert (results[0].status, results[0].reason) == (WriteStatus.TRANSIENT, "0x80040216")
    assert later[0].status is WriteStatus.WRITTEN
    assert dynamics.requests("message_filters") == 2
    assert dynamics.requests("upsert_multiple") == 1
