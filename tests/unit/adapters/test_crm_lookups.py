"""The lookup adapters against the CRM sandboxes over HTTP, the DynamoDB cache on moto, and the contact link's
mapping in each sink."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from cxbridge.core.oauth import TokenCache
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.crm.dynamics import DynamicsMapping, DynamicsSink
from cxbridge.crm.dynamics_lookup import DynamicsDirectory, DynamicsLookup
from cxbridge.crm.lookup import LookupKind, LookupQuery, LookupResult, LookupStatus, LookupUnsupported
from cxbridge.crm.lookup_cache import DynamoLookupCache
from cxbridge.crm.oauth import EntraTokenSource, SalesforceTokenSource
from cxbridge.crm.outcome import CrmOutcome
from cxbridge.crm.salesforce import SalesforceMapping, SalesforceSink
from cxbridge.crm.salesforce_lookup import SalesforceDirectory, SalesforceLookup, sosl_term
from local.resources import create_all
from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET
from tests.unit.adapters.support import SHORT_TIMEOUT_S, FakeClock

if TYPE_CHECKING:
    from local.sandboxes.dynamics import DynamicsSandbox
    from local.sandboxes.salesforce import SalesforceSandbox

ADA = LookupQuery(LookupKind.PHONE, "+4930123456")
SF_LOOKUP = SalesforceLookup(customer_id_field="CustomerId__c", fields={"name": "Name", "tier": "Tier__c"})


def salesforce_directory(server: SalesforceSandbox, lookup: SalesforceLookup = SF_LOOKUP) -> SalesforceDirectory:
    tokens = TokenCache(SalesforceTokenSource(server.url, SANDBOX_CLIENT_ID, SANDBOX_SECRET))
    return SalesforceDirectory(lookup, tokens, timeout_s=5.0)


def seed_contacts(server: SalesforceSandbox) -> None:
    server.records["Contact"] = {
        "c1": {"Id": "003A", "CustomerId__c": "C-1", "Name": "Ada", "Phone": "+4930123456", "Tier__c": None},
        "c2": {"Id": "003B", "CustomerId__c": "C-2", "Name": "Bob", "MobilePhone": "+4930999"},
        "c3": {"Id": "003C", "CustomerId__c": "C-3", "Name": "Cy", "MobilePhone": "+4930999"},
    }


def test_salesforce_finds_a_contact_by_a_configured_field(salesforce: SalesforceSandbox) -> None:
    seed_contacts(salesforce)

    answer = salesforce_directory(salesforce).find(LookupQuery(LookupKind.CUSTOMER_ID, "C-1"), 1.0)

    assert answer == LookupResult(LookupStatus.FOUND, "003A", {"name": "Ada"})  # a null field is left out


def test_salesforce_searches_phone_fields_and_tells_ambiguous_and_not_found(salesforce: SalesforceSandbox) -> None:
    seed_contacts(salesforce)
    directory = salesforce_directory(salesforce)

    assert directory.find(ADA, 1.0).record_id == "003A"
    assert directory.find(LookupQuery(LookupKind.PHONE, "+4930999"), 1.0).status is LookupStatus.AMBIGUOUS
    assert directory.find(LookupQuery(LookupKind.PHONE, "+4930000"), 1.0).status is LookupStatus.NOT_FOUND
    assert salesforce.requests("search") == 3


def test_salesforce_escapes_the_value(salesforce: SalesforceSandbox) -> None:
    seed_contacts(salesforce)
    query = LookupQuery(LookupKind.CUSTOMER_ID, "C-1' OR Name = 'Bob")

    assert salesforce_directory(salesforce).find(query, 1.0).status is LookupStatus.NOT_FOUND
    assert sosl_term("+49(30)") == "\\+49\\(30\\)"


def test_salesforce_without_a_configured_field_cannot_look_up(salesforce: SalesforceSandbox) -> None:
    directory = salesforce_directory(salesforce, SalesforceLookup(phone_search=False))

    with pytest.raises(LookupUnsupported):
        directory.find(LookupQuery(LookupKind.ACCOUNT_NUMBER, "A-1"), 1.0)
    with pytest.raises(LookupUnsupported):
        directory.find(ADA, 1.0)


def test_salesforce_throttling_and_hanging_are_upstream_failures(salesforce: SalesforceSandbox) -> None:
    directory = salesforce_directory(salesforce)
    salesforce.configure(throttle_ratio=1.0)
    with pytest.raises(UpstreamFailure) as throttled:
        directory.find(ADA, 1.0)
    salesforce.configure(throttle_ratio=0.0, timeout_ratio=1.0)
    with pytest.raises(UpstreamFailure) as hung:
        directory.find(ADA, SHORT_TIMEOUT_S)

    assert throttled.value.status is WriteStatus.THROTTLED
    assert (hung.value.status, hung.value.reason) == (WriteStatus.TRANSIENT, "timeout")


def dynamics_directory(server: DynamicsSandbox) -> DynamicsDirectory:
    source = EntraTokenSource(server.tenant_id, SANDBOX_CLIENT_ID, SANDBOX_SECRET, server.url, server.url)
    lookup = DynamicsLookup(account_number_column="accountnumber", fields={"name": "fullname"})
    return DynamicsDirectory(lookup, server.url, TokenCache(source), timeout_s=5.0)


def test_dynamics_filters_on_the_configured_columns(dynamics: DynamicsSandbox) -> None:
    dynamics.rows["contacts"] = {
        "1": {"contactid": "c-1", "accountnumber": "A'1", "fullname": "Ada", "telephone1": "+4930123456"},
        "2": {"contactid": "c-2", "accountnumber": "A-2", "fullname": "Bob", "mobilephone": "+4930123456"},
    }
    directory = dynamics_directory(dynamics)

    assert directory.find(LookupQuery(LookupKind.ACCOUNT_NUMBER, "A'1"), 1.0) == LookupResult(
        LookupStatus.FOUND, "c-1", {"name": "Ada"}
    )
    assert directory.find(ADA, 1.0).status is LookupStatus.AMBIGUOUS  # telephone1 or mobilephone
    assert directory.find(LookupQuery(LookupKind.PHONE, "+1555"), 1.0).status is LookupStatus.NOT_FOUND
    with pytest.raises(LookupUnsupported):
        directory.find(LookupQuery(LookupKind.CUSTOMER_ID, "C-1"), 1.0)


def test_dynamics_throttling_is_an_upstream_failure(dynamics: DynamicsSandbox) -> None:
    dynamics.configure(throttle_ratio=1.0)

    with pytest.raises(UpstreamFailure) as throttled:
        dynamics_directory(dynamics).find(ADA, 1.0)

    assert throttled.value.status is WriteStatus.THROTTLED


def test_the_dynamodb_cache_keeps_answers_under_a_salted_hash_until_they_expire(clock: FakeClock) -> None:
    with mock_aws():
        dynamodb = boto3.client("dynamodb")
        create_all(dynamodb, boto3.client("sqs"))
        cache = DynamoLookupCache(
            dynamodb, "WorkerStateTable", "salesforce", salt=lambda: b"k" * 32, ttl_s=60, clock=clock
        )
        found = LookupResult(LookupStatus.FOUND, "003A", {"name": "Ada"})

        cache.put(ADA, found)
        cache.put(LookupQuery(LookupKind.PHONE, "+4930000"), LookupResult(LookupStatus.NOT_FOUND))

        assert cache.get(ADA) == found
        assert cache.get(LookupQuery(LookupKind.PHONE, "+4930000")) == LookupResult(LookupStatus.NOT_FOUND)
        assert cache.get(LookupQuery(LookupKind.CUSTOMER_ID, ADA.value)) is None
        items = dynamodb.scan(TableName="WorkerStateTable")["Items"]
        assert "4930123456" not in str(items)
        clock.advance(61)
        assert cache.get(ADA) is None


def test_a_contact_link_is_a_mapped_field_in_salesforce_and_a_bind_in_dataverse(
    salesforce: SalesforceSandbox, dynamics: DynamicsSandbox
) -> None:
    sf_mapping = SalesforceMapping(
        object="Call_Log__c", external_id_field="CallReference__c", fields={"Contact__c": "contact_id"}
    )
    sf = SalesforceSink(
        sf_mapping, TokenCache(SalesforceTokenSource(salesforce.url, SANDBOX_CLIENT_ID, SANDBOX_SECRET))
    )
    dyn_mapping = DynamicsMapping(
        entity_set="cxb_calllogs",
        logical_name="cxb_calllog",
        alternate_key="cxb_conversationid",
        fields={"cxb_Contact@odata.bind": "contact_id"},
        binds={"cxb_Contact@odata.bind": "contacts"},
    )
    source = EntraTokenSource(dynamics.tenant_id, SANDBOX_CLIENT_ID, SANDBOX_SECRET, dynamics.url, dynamics.url)
    dyn = DynamicsSink(dyn_mapping, dynamics.url, TokenCache(source))
    linked, unlinked = CrmOutcome("conv-1", contact_id="003A"), CrmOutcome("conv-2")

    sf.write([linked, unlinked])
    dyn.write([CrmOutcome("conv-1", contact_id="6f1c2d3e-0000-4000-8000-000000000001"), unlinked])

    records = salesforce.records["Call_Log__c"]
    assert records["conv-1"]["Contact__c"] == "003A"
    assert "Contact__c" not in records["conv-2"]
    rows = {row["cxb_conversationid"]: row for row in dynamics.rows["cxb_calllogs"].values()}
    assert rows["conv-1"]["cxb_Contact@odata.bind"] == "/contacts(6f1c2d3e-0000-4000-8000-000000000001)"
    assert "cxb_Contact@odata.bind" not in rows["conv-2"]
