"""The setup file: variables from the environment, the CRM connection checked by the worker's model, secrets
never from the file."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from cxbridge_cli.config import ConfigError, load, secret_value, secrets_of

if TYPE_CHECKING:
    from pathlib import Path

SALESFORCE = """
genesys: {region: eu-west-1, client_id: gen-client}
crm:
  sink: salesforce
  client_id: sf-client
  connection:
    my_domain_url: ${SF_URL:-https://acme.my.salesforce.com}
    mapping: {object: Call_Log__c, external_id_field: CallReference__c, fields: {Disposition__c: disposition}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cxbridge.yaml"
    path.write_text(text)
    return path


def test_variables_come_from_the_environment_or_their_default(tmp_path: Path) -> None:
    path = write(tmp_path, SALESFORCE)
    assert load(path, {}).crm.connection["my_domain_url"] == "https://acme.my.salesforce.com"
    assert load(path, {"SF_URL": "https://x.my.salesforce.com"}).crm.connection["my_domain_url"] == (
        "https://x.my.salesforce.com"
    )
    with pytest.raises(ConfigError, match=r"\$\{NOPE\} is used in the file but not set"):
        load(write(tmp_path, SALESFORCE.replace("${SF_URL:-https://acme.my.salesforce.com}", "${NOPE}")), {})


def test_a_bad_connection_is_refused_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"crm\.connection\.mapping\.object: String should match pattern"):
        load(write(tmp_path, SALESFORCE.replace("object: Call_Log__c", "object: 'Call Log'")), {})
    with pytest.raises(ConfigError, match=r"crm\.sink: Input should be 'salesforce', 'dynamics'"):
        load(write(tmp_path, SALESFORCE.replace("sink: salesforce", "sink: hubspot")), {})
    with pytest.raises(ConfigError, match=r"crm\.client_secret: Extra inputs are not permitted"):
        load(write(tmp_path, SALESFORCE.replace("client_id: sf-client", "client_id: sf\n  client_secret: s")), {})
    with pytest.raises(ConfigError, match=r"crm\.client_id: required for crm\.sink salesforce"):
        load(write(tmp_path, SALESFORCE.replace("  client_id: sf-client\n", "")), {})


def test_secrets_come_from_the_environment_or_the_prompt_only(tmp_path: Path) -> None:
    config = load(write(tmp_path, SALESFORCE), {})
    env = {"CXBRIDGE_GENESYS_CLIENT_SECRET": "g-secret", "CXBRIDGE_CRM_CLIENT_SECRET": "c-secret"}
    genesys, crm = secrets_of(config, lambda section, key: secret_value(section, key, env, interactive=False))
    assert genesys == {"client_id": "gen-client", "client_secret": "g-secret"}
    assert crm == {"client_id": "sf-client", "client_secret": "c-secret"}
    assert secret_value("crm", "api_key", {}, prompt=lambda _: " typed ", interactive=True) == "typed"
    with pytest.raises(ConfigError, match="set CXBRIDGE_CRM_API_KEY or run interactively"):
        secret_value("crm", "api_key", {}, interactive=False)
