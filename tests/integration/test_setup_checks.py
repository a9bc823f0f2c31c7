"""The connection checks of ``cxbridge setup`` against the Dynamics and Automation Anywhere sandboxes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxbridge_cli.checks import check_automation_anywhere, check_dynamics
from local.sandboxes.automation_anywhere import AutomationAnywhereSandbox
from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET
from local.sandboxes.dynamics import DynamicsSandbox, table_definition

if TYPE_CHECKING:
    from cxbridge_cli.checks import Check

CREDENTIALS = {"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_SECRET}


def dynamics_connection(url: str, **mapping: Any) -> dict[str, Any]:
    return {
        "org_url": url,
        "tenant_id": "sandbox-tenant",
        "login_base_url": url,
        "mapping": {
            "entity_set": "new_calllogs",
            "logical_name": "new_calllog",
            "alternate_key": "new_callreference",
            "fields": {"new_disposition": "disposition"},
            **mapping,
        },
    }


def failed(checks: list[Check]) -> dict[str, str]:
    return {c.name: f"{c.detail} | {c.fix}" for c in checks if not c.ok}


def test_dynamics_passes_with_the_table_its_key_and_writable_columns() -> None:
    with DynamicsSandbox() as crm:
        checks = check_dynamics(dynamics_connection(crm.url), CREDENTIALS, 5)
    assert [c.name for c in checks] == [
        "dynamics login",
        "dynamics table",
        "dynamics alternate key new_callreference",
        "dynamics column new_disposition",
    ]
    assert failed(checks) == {}
    assert checks[1].detail == "new_calllog: 5 columns"


def test_dynamics_names_a_missing_key_a_missing_column_and_a_read_only_one() -> None:
    with DynamicsSandbox() as crm:
        mapping = {
            "alternate_key": "new_disposition",
            "fields": {"new_outcome": "disposition", "createdon": "call_date"},
        }
        checks = check_dynamics(dynamics_connection(crm.url, **mapping), CREDENTIALS, 5)
    problems = failed(checks)
    assert problems["dynamics alternate key new_disposition"].startswith("no alternate key on new_disposition alone")
    assert (
        problems["dynamics column new_outcome"]
        == "no column new_outcome | create it or fix crm.connection.mapping.fields (new_outcome)"
    )
    assert problems["dynamics column createdon"].startswith("createdon cannot be written")


def test_dynamics_names_a_key_whose_index_is_not_active_and_an_unknown_table() -> None:
    pending = table_definition("new_calllog", "new_calllogs", "new_callreference", ["new_disposition"])
    pending["Keys"][0]["EntityKeyIndexStatus"] = "Pending"
    with DynamicsSandbox(tables=[pending]) as crm:
        checks = check_dynamics(dynamics_connection(crm.url), CREDENTIALS, 5)
        assert failed(checks)["dynamics alternate key new_callreference"].startswith(
            "key new_callreference_key is Pending | wait for the key's index job"
        )
        checks = check_dynamics(dynamics_connection(crm.url, entity_set="new_calls"), CREDENTIALS, 5)
    assert checks[-1].name == "dynamics table"
    assert checks[-1].detail == "no table with entity set new_calls"


def test_dynamics_login_failure_names_the_secret_to_fix() -> None:
    with DynamicsSandbox() as crm:
        checks = check_dynamics(dynamics_connection(crm.url), {**CREDENTIALS, "client_secret": "wrong"}, 5)
    (only,) = checks
    assert only.name == "dynamics login"
    assert not only.ok
    assert "CXBRIDGE_CRM_CLIENT_SECRET" in only.fix


def aa_connection(url: str, **mapping: Any) -> dict[str, Any]:
    return {"control_room_url": url, "mapping": {"file_id": 87, "run_as_user_ids": [3], **mapping}}


AA_CREDENTIALS = {"username": "svc_api", "api_key": SANDBOX_SECRET}


def test_automation_anywhere_passes_with_the_bot_and_an_unattended_runner() -> None:
    with AutomationAnywhereSandbox() as cr:
        checks = check_automation_anywhere(aa_connection(cr.url), AA_CREDENTIALS, 5)
    assert failed(checks) == {}
    assert [c.name for c in checks] == [
        "automation anywhere login",
        "automation anywhere bot",
        "automation anywhere runner 3",
    ]


def test_automation_anywhere_names_an_unknown_bot_and_a_user_without_a_runner_licence() -> None:
    with AutomationAnywhereSandbox() as cr:
        checks = check_automation_anywhere(aa_connection(cr.url, file_id=88), AA_CREDENTIALS, 5)
        assert failed(checks)["automation anywhere bot"].startswith(
            "no bot with file id 88 | check crm.connection.mapping.file_id"
        )
        cr.users[4] = {"id": 4, "username": "dev_01", "licenseFeatures": ["DEVELOPMENT"]}
        checks = check_automation_anywhere(aa_connection(cr.url, run_as_user_ids=[3, 4, 5]), AA_CREDENTIALS, 5)
    problems = failed(checks)
    assert set(problems) == {"automation anywhere runner 4", "automation anywhere runner 5"}
    assert "Unattended Bot Runner licence" in problems["automation anywhere runner 4"]
    assert problems["automation anywhere runner 5"].startswith("user 5: HTTP 404")
