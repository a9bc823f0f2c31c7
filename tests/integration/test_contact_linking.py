"""Contact linking end to end: the worker reads each call's customer from Genesys and links the CRM contact."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import boto3
import pytest

from cxbridge.core import wiring
from local.sandboxes.genesys import GenesysSandbox
from local.sandboxes.salesforce import SalesforceSandbox
from tests.builders import body
from tests.integration.conftest import MAPPING, WRAPUP_NAMES, stored
from tests.integration.test_crm_sync_worker import drain, ingest_all
from tests.pii import captured

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.integration.conftest import Stack

KNOWN = "tel:+15550100001"
KNOWN_CALL = body("acw-a")["conversationId"]
UNKNOWN_CALL = body("acw-b1")["detail"]["eventBody"]["conversationId"]


@pytest.fixture
def linked(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceSandbox]:
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
        yield salesforce
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
