"""SalesforceSink against the Salesforce fake over HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from cxbridge.core.oauth import TokenCache
from cxbridge.core.upstream import WriteStatus
from cxbridge.crm.oauth import SalesforceTokenSource
from cxbridge.crm.salesforce import SalesforceMapping, SalesforceSink
from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET
from tests.unit.adapters.support import SHORT_TIMEOUT_S, outcome

if TYPE_CHECKING:
    from local.sandboxes.salesforce import SalesforceSandbox

OBJECT = "Call_Log__c"
MAPPING = SalesforceMapping(
    object=OBJECT,
    external_id_field="CallReference__c",
    fields={"Disposition__c": "disposition", "Duration_Seconds__c": "handle_s", "Agent__c": "user_id"},
)


def make_sink(
    server: SalesforceSandbox,
    mapping: SalesforceMapping = MAPPING,
    secret: str = SANDBOX_SECRET,
    timeout_s: float = 5.0,
) -> SalesforceSink:
    tokens = TokenCache(SalesforceTokenSource(server.url, SANDBOX_CLIENT_ID, secret))
    return SalesforceSink(mapping, tokens, timeout_s=timeout_s)


def stored(server: SalesforceSandbox) -> dict[str, dict[str, object]]:
    records: dict[str, dict[str, object]] = server.state()["records"].get(OBJECT, {})
    return records


def test_upsert_writes_the_mapped_fields_and_omits_none(salesforce: SalesforceSandbox) -> None:
    results = make_sink(salesforce).write([outcome(1), outcome(2, handle_s=None)])

    assert [r.status for r in results] == [WriteStatus.WRITTEN, WriteStatus.WRITTEN]
    records = stored(salesforce)
    assert records["conv-0001"] == {
        "Id": results[0].crm_id,
        "CallReference__c": "conv-0001",
        "Disposition__c": "Resolved",
        "Duration_Seconds__c": 386,
        "Agent__c": "user-1",
    }
    assert "Duration_Seconds__c" not in records["conv-0002"]


def test_a_second_upsert_updates_the_same_record(salesforce: SalesforceSandbox) -> None:
    sink = make_sink(salesforce)
    first = sink.write([outcome(1)])
    second = sink.write([outcome(1, disposition="Escalated")])

    assert second[0].crm_id == first[0].crm_id
    assert len(stored(salesforce)) == 1
    assert stored(salesforce)["conv-0001"]["Disposition__c"] == "Escalated"


def test_a_batch_of_200_is_one_request(salesforce: SalesforceSandbox) -> None:
    sink = make_sink(salesforce)
    results = sink.write([outcome(n) for n in range(sink.max_batch)])

    assert sink.max_batch == 200
    assert salesforce.requests("upsert") == 1
    assert {r.status for r in results} == {WriteStatus.WRITTEN}
    assert [r.conversation_id for r in results] == [f"conv-{n:04d}" for n in range(200)]
    assert len(stored(salesforce)) == 200


def test_more_than_max_batch_is_split(salesforce: SalesforceSandbox) -> None:
    results = make_sink(salesforce).write([outcome(n) for n in range(201)])

    assert salesforce.requests("upsert") == 2
    assert len(results) == 201
    assert len(stored(salesforce)) == 201


def test_no_further_request_starts_once_the_time_left_is_used_up(salesforce: SalesforceSandbox) -> None:
    budget = iter([True])

    results = make_sink(salesforce).write([outcome(n) for n in range(201)], lambda: next(budget, False))

    assert salesforce.requests("upsert") == 1
    assert {r.status for r in results[:200]} == {WriteStatus.WRITTEN}
    assert (results[200].status, results[200].reason) == (WriteStatus.TRANSIENT, "time-budget")


def test_per_record_errors_go_to_their_own_conversation(salesforce: SalesforceSandbox) -> None:
    salesforce.configure(required_fields=["Disposition__c"])
    outcomes = [outcome(n, disposition=None if n in (2, 4) else "Resolved") for n in range(1, 6)]

    results = make_sink(salesforce).write(outcomes)

    assert [(r.conversation_id, r.status, r.reason) for r in results] == [
        ("conv-0001", WriteStatus.WRITTEN, None),
        ("conv-0002", WriteStatus.PERMANENT, "REQUIRED_FIELD_MISSING"),
        ("conv-0003", WriteStatus.WRITTEN, None),
        ("conv-0004", WriteStatus.PERMANENT, "REQUIRED_FIELD_MISSING"),
        ("conv-0005", WriteStatus.WRITTEN, None),
    ]
    assert sorted(stored(salesforce)) == ["conv-0001", "conv-0003", "conv-0005"]


def test_an_expired_token_is_renewed_once_and_the_batch_resent(salesforce: SalesforceSandbox) -> None:
    salesforce.configure(expire_tokens_after=1)
    sink = make_sink(salesforce)
    sink.write([outcome(1)])

    results = sink.write([outcome(n) for n in range(2, 12)])

    assert {r.status for r in results} == {WriteStatus.WRITTEN}
    assert salesforce.requests("token") == 2
    assert salesforce.requests("upsert") == 3
    assert len(stored(salesforce)) == 11


def test_a_token_refused_after_renewal_is_transient_not_retried_again(salesforce: SalesforceSandbox) -> None:
    salesforce.configure(expire_tokens_after=0)

    results = make_sink(salesforce).write([outcome(1)])

    assert (results[0].status, results[0].reason) == (WriteStatus.TRANSIENT, "INVALID_SESSION_ID")
    assert salesforce.requests("token") == 2
    assert salesforce.requests("upsert") == 2


def test_limits_and_unavailability_are_throttled(salesforce: SalesforceSandbox) -> None:
    salesforce.configure(throttle_ratio=1.0)
    sink = make_sink(salesforce)

    results = [sink.write([outcome(n)])[0] for n in range(6)]

    assert {r.status for r in results} == {WriteStatus.THROTTLED}
    assert {r.reason for r in results} == {"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE"}


def test_a_server_error_is_transient(salesforce: SalesforceSandbox) -> None:
    salesforce.configure(fail_ratio=1.0)

    results = make_sink(salesforce).write([outcome(1), outcome(2)])

    assert [(r.status, r.reason) for r in results] == [(WriteStatus.TRANSIENT, "UNKNOWN_EXCEPTION")] * 2


def test_a_timeout_is_transient(salesforce: SalesforceSandbox) -> None:
    salesforce.configure(timeout_ratio=1.0)

    results = make_sink(salesforce, timeout_s=SHORT_TIMEOUT_S).write([outcome(1)])

    assert (results[0].status, results[0].reason) == (WriteStatus.TRANSIENT, "timeout")
    assert stored(salesforce) == {}


def test_a_mapping_to_an_unknown_attribute_is_permanent_and_sends_nothing(salesforce: SalesforceSandbox) -> None:
    mapping = MAPPING.model_copy(update={"fields": {"Phone__c": "customer_phone"}})

    results = make_sink(salesforce, mapping).write([outcome(1), outcome(2)])

    assert [(r.status, r.reason) for r in results] == [(WriteStatus.PERMANENT, "mapping:customer_phone")] * 2
    assert salesforce.state()["requests"] == {}


def test_the_same_conversation_twice_is_sent_once_with_the_last_outcome(salesforce: SalesforceSandbox) -> None:
    results = make_sink(salesforce).write([outcome(1, disposition="First"), outcome(2), outcome(1, disposition="Last")])

    assert [r.status for r in results] == [WriteStatus.WRITTEN] * 3
    assert results[0] == results[2]
    assert stored(salesforce)["conv-0001"]["Disposition__c"] == "Last"
    assert len(stored(salesforce)) == 2


def test_bad_credentials_are_transient_and_reach_no_api(salesforce: SalesforceSandbox) -> None:
    results = make_sink(salesforce, secret="wrong").write([outcome(1)])

    assert (results[0].status, results[0].reason) == (WriteStatus.TRANSIENT, "token:invalid_client")
    assert salesforce.requests("upsert") == 0


def test_the_mapping_rejects_mapping_the_external_id_field_and_odd_versions() -> None:
    with pytest.raises(ValidationError, match="external ID field"):
        SalesforceMapping(object=OBJECT, external_id_field="Ref__c", fields={"Ref__c": "conversation_id"})
    with pytest.raises(ValidationError):
        SalesforceMapping(object=OBJECT, external_id_field="Ref__c", api_version="v66")
    with pytest.raises(ValidationError):
        SalesforceMapping(object="Call_Log__c/../x", external_id_field="Ref__c")
