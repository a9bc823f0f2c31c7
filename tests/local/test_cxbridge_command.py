"""``cxbridge setup / status / redrive`` against the running local stack, as an operator runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "cxbridge.example.yaml"


def cxbridge(urls: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CXBRIDGE_GENESYS_URL": urls["Genesys"],
        "CXBRIDGE_CRM_URL": urls["CRM"],
        "CXBRIDGE_GENESYS_CLIENT_SECRET": "sandbox-secret",
        "CXBRIDGE_CRM_CLIENT_SECRET": "sandbox-secret",
    }
    command = [sys.executable, "-m", "cxbridge_cli", *args, "--endpoint-url", urls["AWS (moto)"]]
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_setup_with_the_example_config_writes_the_configuration_and_every_check_passes(
    local_stack: dict[str, str],
) -> None:
    done = cxbridge(local_stack, "setup", "--config", str(EXAMPLE), "--stack", "cxbridge")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "parameter /cxbridge/crm/config written" in lines
    assert "secret cxbridge/crm updated" in lines
    names = ("genesys login", "genesys wrap-up codes", "genesys queues", "genesys conversations", "salesforce login")
    for name in (*names, "salesforce object"):
        assert any(line.startswith(f"ok   {name}:") for line in lines), name
    assert "ok   salesforce external id CallReference__c: External ID, Unique, writable" in lines
    assert any(line.startswith("ok   salesforce field Call_Date__c:") for line in lines)
    assert "FAIL" not in done.stdout
    assert lines[-1].endswith("checks passed")
    assert "sandbox-secret" not in done.stdout + done.stderr


def test_a_wrong_external_id_field_fails_naming_the_field_and_the_fix(
    local_stack: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "cxbridge.yaml"
    config.write_text(EXAMPLE.read_text().replace("external_id_field: CallReference__c", "external_id_field: Name"))
    done = cxbridge(local_stack, "setup", "--config", str(config), "--check-only")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL salesforce external id Name: Name is not marked External ID and Unique" in done.stdout
    assert "fix: edit the field Name on Call_Log__c: tick External ID and Unique" in done.stdout
    assert "failed: salesforce external id Name" in done.stdout.splitlines()[-1]


def test_a_missing_mapped_field_and_a_bad_secret_are_named(local_stack: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "cxbridge.yaml"
    config.write_text(EXAMPLE.read_text().replace("Queue__c: queue_id", "Queue_Name__c: queue_id"))
    done = cxbridge(local_stack, "setup", "--config", str(config), "--check-only")
    assert done.returncode == 1
    assert "FAIL salesforce field Queue_Name__c: Call_Log__c has no field Queue_Name__c" in done.stdout

    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "cxbridge_cli", "setup", "--config", str(EXAMPLE), "--check-only",
         "--endpoint-url", local_stack["AWS (moto)"]],
        cwd=ROOT,
        env={**os.environ, "CXBRIDGE_GENESYS_URL": local_stack["Genesys"], "CXBRIDGE_CRM_URL": local_stack["CRM"],
             "CXBRIDGE_GENESYS_CLIENT_SECRET": "wrong", "CXBRIDGE_CRM_CLIENT_SECRET": "sandbox-secret"},
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 1
    assert "FAIL genesys login: login refused (token:invalid_client)" in done.stdout
    assert "CXBRIDGE_GENESYS_CLIENT_SECRET" in done.stdout


def test_a_secret_neither_set_nor_typed_is_named() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXBRIDGE_")}
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "cxbridge_cli", "setup", "--config", str(EXAMPLE), "--local"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2
    assert "genesys.client_secret is not given: set CXBRIDGE_GENESYS_CLIENT_SECRET" in done.stderr


def test_status_shows_queues_dead_letters_records_breaker_and_toil(local_stack: dict[str, str]) -> None:
    done = cxbridge(local_stack, "status", "--stack", "cxbridge")
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert set(shown) == {"stack", "queues", "call_records", "stranded_records", "breaker", "last_toil_report"}
    assert set(shown["queues"]) == {"crm-sync", "crm-sync dead letters", "ingest dead letters"}
    assert shown["queues"]["crm-sync dead letters"]["by_reason"] == {}
    assert shown["breaker"] == {"sink": "salesforce", "state": "closed", "failures": 0}
    assert shown["stranded_records"] == 0


def test_redrive_moves_dead_letters_back_on_the_local_stack(local_stack: dict[str, str]) -> None:
    done = cxbridge(local_stack, "redrive", "--queue", "crm-sync")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"moved": 0}


def test_an_unknown_stack_says_what_to_do(local_stack: dict[str, str]) -> None:
    done = cxbridge(local_stack, "status", "--stack", "nope")
    assert done.returncode == 2
    assert "stack nope not found" in done.stderr


def test_setup_creates_the_genesys_eventbridge_integration_once(local_stack: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "cxbridge.yaml"
    config.write_text(
        EXAMPLE.read_text().replace(
            "  base_url: ${CXBRIDGE_GENESYS_URL",
            "  eventbridge: {event_source_suffix: cxbridge-test}\n  base_url: ${CXBRIDGE_GENESYS_URL",
        )
    )
    first = cxbridge(local_stack, "setup", "--config", str(config))
    again = cxbridge(local_stack, "setup", "--config", str(config))

    assert "ok   genesys eventbridge integration: created 'cxbridge cxbridge-test'" in first.stdout
    assert "ok   genesys eventbridge configuration: written: 4 topics, version 2" in first.stdout
    assert "genesys eventbridge integration:" not in again.stdout  # found, not created again
    assert "ok   genesys eventbridge configuration: 4 topics, version 2" in again.stdout  # not written again
    with urlopen(local_stack["Genesys"] + "/__sandbox/state", timeout=10) as resp:  # noqa: S310 - 127.0.0.1
        (integration,) = json.loads(resp.read())["integrations"].values()
    assert integration["intendedState"] == "ENABLED"
    assert integration["config"]["properties"] == {
        "awsAccountId": "123456789012",
        "awsAccountRegion": "us-east-1",
        "eventSourceSuffix": "cxbridge-test",
        "eventFilter": [
            "v2.detail.events.conversation.{id}.acw",
            "v2.detail.events.conversation.{id}.wrapup",
            "v2.detail.events.conversation.{id}.customer.end",
            "v2.detail.events.conversation.{id}.user.end",
        ],
    }
    # The local stack is deployed without an event bus: setup says which one to associate and deploy with.
    bus = "aws.partner/genesys.com/cloud/1a2b3c4d-0000-4000-8000-00000000c0de/cxbridge-test"
    assert again.returncode == 1
    assert "FAIL stack GenesysEventBusName: stack has '(empty)'" in again.stdout
    assert f"then deploy with GenesysEventBusName={bus}" in again.stdout


def test_no_aws_endpoint_is_a_message_not_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cxbridge_cli", "status", "--endpoint-url", "http://127.0.0.1:9"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("cxbridge status: AWS: Could not connect to the endpoint URL")
    assert "Traceback" not in done.stderr
