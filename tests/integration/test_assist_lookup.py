"""POST /assist/lookup in-process on moto, against the Salesforce sandbox: answers, 400s, and fallbacks in time."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from cxbridge.core import wiring
from local.sandboxes.salesforce import SalesforceSandbox
from scripts.build_events import api_gateway_event
from tests.pii import captured

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.integration.conftest import Stack

PHONE = "+15550100199"
LOOKUP = {"customer_id_field": "CustomerId__c", "fields": {"name": "Name", "tier": "Tier__c"}}
MAPPING = {"object": "Call_Log__c", "external_id_field": "CallReference__c"}


@pytest.fixture
def crm(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SalesforceSandbox]:
    with SalesforceSandbox(seed=3) as salesforce:
        salesforce.configure(hang_s=5.0)
        salesforce.records["Contact"] = {
            "c1": {"Id": "003A", "CustomerId__c": "C-1", "Name": "Ada Lovelace", "Tier__c": "gold", "Phone": PHONE}
        }
        doc = {"my_domain_url": salesforce.url, "mapping": MAPPING, "lookup": LOOKUP}
        boto3.client("ssm").put_parameter(Name="/cxbridge/crm/config", Type="String", Value=json.dumps(doc))
        creds = {"client_id": salesforce.client_id, "client_secret": salesforce.client_secret}
        boto3.client("secretsmanager").create_secret(Name="cxbridge/crm", SecretString=json.dumps(creds))
        for name, value in stack.resources.function_environment("AssistLookupFunction").items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("ASSIST_DEADLINE_S", "4.5")  # answers must not depend on a loaded machine
        wiring.reset()
        yield salesforce
        wiring.reset()


def ask(stack: Stack, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = stack.invoke("assist_lookup", api_gateway_event("/assist/lookup", body))
    return response["statusCode"], json.loads(response["body"])


def test_a_known_phone_answers_found_with_the_configured_fields_and_is_cached(
    stack: Stack, crm: SalesforceSandbox
) -> None:
    first = ask(stack, {"phone": "+1 (555) 010-0199", "customerId": ""})
    second = ask(stack, {"phone": PHONE})

    assert first == (200, {"status": "found", "recordId": "003A", "name": "Ada Lovelace", "tier": "gold"})
    assert second == first
    assert crm.requests("search") == 1


def test_unknown_and_by_id(stack: Stack, crm: SalesforceSandbox) -> None:
    assert ask(stack, {"phone": "+15550100000"}) == (200, {"status": "notFound", "recordId": ""})
    assert ask(stack, {"customerId": "C-1"})[1]["recordId"] == "003A"


def test_an_account_number_the_crm_cannot_look_up_falls_back(stack: Stack, crm: SalesforceSandbox) -> None:
    assert ask(stack, {"accountNumber": "A-1"}) == (200, {"status": "fallback", "recordId": ""})


@pytest.mark.parametrize(
    ("body", "field"),
    [({"phone": "555 0100"}, "phone"), ({}, "body"), ({"customerId": "a b"}, "customerId"), ({"cust": "1"}, "cust")],
)
def test_bad_input_is_a_400_naming_the_field_without_echoing_it(
    stack: Stack, crm: SalesforceSandbox, body: dict[str, Any], field: str
) -> None:
    status, answer = ask(stack, body)

    assert status == 400
    assert field in [e["field"] for e in answer["errors"]]
    assert "555" not in json.dumps(answer)


@pytest.mark.parametrize("knob", ["timeout_ratio", "throttle_ratio"])
def test_a_hanging_or_throttling_crm_gets_a_fallback_not_an_error(
    stack: Stack, crm: SalesforceSandbox, knob: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSIST_DEADLINE_S", "1")
    wiring.reset()
    crm.configure(**{knob: 1.0})

    assert ask(stack, {"phone": PHONE}) == (200, {"status": "fallback", "recordId": ""})


def test_neither_the_number_nor_the_answer_reaches_a_log(stack: Stack, crm: SalesforceSandbox) -> None:
    def run() -> None:
        ask(stack, {"phone": PHONE})
        ask(stack, {"phone": "555 0100"})

    logs = captured(run)

    assert "5550100199" not in logs.replace(" ", "")
    assert "0100" not in logs
    assert "Ada" not in logs
    assert "assist lookup" in logs
