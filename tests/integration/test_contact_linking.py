"""Contact linking end to end: the worker reads each call's customer from Genesys and links the CRM contact."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import boto3
import pytest

from cxbridge.calls.store import DynamoSyncStatusStore
from cxbridge.core import wiring
from cxbridge.core.sqs import SqsQueue
from cxbridge.crm.reconciler import Reconciler, RelinkPolicy
from local.sandboxes.genesys import GenesysSandbox
from local.sandboxes.salesforce import SalesforceSandbox
from scripts.build_events import api_gateway_event
from tests.builders import body
from tests.integration.conftest import MAPPING, TABLE, WRAPUP_NAMES, stored
from tests.integration.test_crm_sync_worker import drain, ingest_all
from tests.pii import captured

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.integration.conftest import Stack

KNOWN = "tel:+15550100001"
KNOWN_CALL = body("acw-a")["conversationId"]
UNKNOWN_CALL = body("acw-b1")["detail"]["eventBody"]["conversationId"]
ROUTE = "/genesys/conversations/call-completed"


@pytest.fixture
def linked(sandboxes: tuple[SalesforceSandbox, GenesysSandbox]) -> SalesforceSandbox:
    return sandboxes[0]


@pytest.fixture
def sandboxes(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SalesforceSandbox, GenesysSandbox]]:
    with SalesforceSandbox(seed=1) as salesforce, GenesysSandbox(wrapup_codes=WRAPUP_NAMES, seed=1) as genesys:
        salesforce.records["Contact"] = {"c1": {"Id": "003A", "Name": "Ada", "Phone": "+15550100001"}}
        genesys.customer_numbers |= {KNOWN_CALL: KNOWN, UNKNOWN_CALL: "tel:+15550100999"}
        mapping = {**MAPPING, "fields": {**MAPPING["fields"], "Contact__c": "contact_id"}}  # type: ignore[dict-item]
        doc = {"my_domain_url": salesforce.url, "mapping": mapping, "lookup": {"fields": {"name": "Name"}}}
        ssm, secrets = boto3.client("ssm"), boto3.client("secretsmanager")
        ssm.put_parameter(Name="/cxbridge/crm/config", Type="String", Value=json.dumps(doc))
        for name, server in (("cxbridge/crm", salesforce), ("cxbridge/genesys", genesys)):
            creds = {"client_id": server.client_id, "client_secret": server.client_secret}
            secrets.create_secret(Name=name, SecretString=json.dumps(creds))
        for name, value in stack.resources.function_environment("CrmSyncWorkerFunction").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("GENESYS_BASE_URL", genesys.url)
        monkeypatch.setenv("ASSIST_DEADLINE_S", "4.5")  # links must not depend on a loaded machine
        monkeypatch.setenv("CONTACT_LINK_BUDGET_S", "20")
        wiring.reset()
        yield salesforce, genesys
        wiring.reset()


def test_calls_of_known_customers_carry_the_link_and_the_others_none(
    stack: Stack, linked: SalesforceSandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    def run() -> None:
        ingest_all(stack)
        drain(stack)

    logs = captured(run)

    records = stored(linked)
    assert records[KNOWN_CALL]["Contact__c"] == "003A"
    assert "Contact__c" not in records[UNKNOWN_CALL]
    assert "Contact__c" not in records["conv_abcde"]  # Genesys knows no customer for it
    assert linked.requests("search") == 2  # one per distinct number
    assert "5550100" not in logs
    assert '"ContactsNotLinked":[2.0]' in capsys.readouterr().out  # the worker's metrics (EMF on stdout)


def test_a_call_written_unlinked_is_relinked_later_in_one_upsert_and_stays_synced_honestly(
    stack: Stack, sandboxes: tuple[SalesforceSandbox, GenesysSandbox], capsys: pytest.CaptureFixture[str]
) -> None:
    salesforce, genesys = sandboxes
    ingest_all(stack)
    # A call of today (the reconciler looks back over recent call dates) whose customer Genesys did not
    # know when it was synced (a 404, as if its lookup had failed): written without a link.
    data = {**body("call-completed"), "callId": "conv_abcde", "conversationId": "conv_abcde"}
    data["timestamp"] = int(time.time())
    assert stack.invoke("ingest_call_completed", api_gateway_event(ROUTE, data))["statusCode"] == 202
    stack.relay()
    drain(stack)
    before = stored(salesforce)["conv_abcde"]
    assert "Contact__c" not in before
    assert stack.record("conv_abcde")["contactLinked"] == {"BOOL": False}  # type: ignore[index]
    assert stack.record(KNOWN_CALL)["contactLinked"] == {"BOOL": True}  # type: ignore[index]
    genesys.customer_numbers["conv_abcde"] = KNOWN  # now it does
    upserts = salesforce.requests("upsert")

    too_early = relinker(stack, later_s=60).run()
    passes = [relinker(stack, later_s=3700).run() for _ in range(2)]

    assert too_early.relinked == 0
    assert [p.relinked for p in passes] == [1, 0]  # the second pass finds it pending: one reopen only
    assert stack.record("conv_abcde")["syncStatus"] == {"S": "pending"}  # type: ignore[index]
    stack.relay()  # the stream queues its job, as for any call that becomes pending
    drain(stack)
    after = stored(salesforce)
    assert after["conv_abcde"]["Contact__c"] == "003A"
    assert after["conv_abcde"]["Id"] == before["Id"]  # the same CRM record, upserted by its external id
    assert len(after) == 3
    assert salesforce.requests("upsert") == upserts + 1
    item = stack.record("conv_abcde")
    assert item is not None
    assert (item["syncStatus"], item["contactLinked"], item["relinks"]) == ({"S": "synced"}, {"BOOL": True}, {"N": "1"})
    assert relinker(stack, later_s=3700).run().relinked == 0  # linked now: nothing left to do
    assert "5550100" not in capsys.readouterr().out


def relinker(stack: Stack, later_s: float) -> Reconciler:
    return Reconciler(
        DynamoSyncStatusStore(stack.dynamodb, TABLE),
        SqsQueue(stack.sqs, stack.queue_url),
        worst_case_s=9000.0,
        relink=RelinkPolicy(after_s=3600, max_relinks=3),
        clock=lambda: time.time() + later_s,
    )
