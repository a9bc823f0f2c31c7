"""``cxbridge setup`` checks the Genesys client may read conversations (contact linking), against the sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from cxbridge_cli.checks import PROBE_CONVERSATION, check_genesys
from cxbridge_cli.config import GenesysSection
from local.sandboxes.genesys import GenesysSandbox

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cxbridge_cli.checks import Check


@pytest.fixture
def genesys() -> Iterator[GenesysSandbox]:
    with GenesysSandbox(wrapup_codes={"w-1": "Sale"}) as sandbox:
        yield sandbox


def checks(genesys: GenesysSandbox, *, linking: bool) -> dict[str, Check]:
    section = GenesysSection(client_id=genesys.client_id, base_url=genesys.url)
    secret = {"client_id": genesys.client_id, "client_secret": genesys.client_secret}
    return {c.name: c for c in check_genesys(section, secret, 5.0, linking=linking)}


def test_with_the_permission_the_probe_conversation_answers_404_and_the_check_passes(genesys: GenesysSandbox) -> None:
    found = checks(genesys, linking=True)
    assert [c.ok for c in found.values()] == [True] * 4
    assert found["genesys conversations"].detail == "readable (HTTP 404 for a probe conversation)"
    assert genesys.requests("conversation") == 1
    assert PROBE_CONVERSATION not in genesys.customer_numbers


def test_without_it_setup_fails_naming_the_permission_when_linking_is_configured(genesys: GenesysSandbox) -> None:
    genesys.missing_permissions.add("conversation:communication:view")
    found = checks(genesys, linking=True)
    check = found["genesys conversations"]
    assert not check.ok
    assert "HTTP 403" in check.detail
    assert "conversation:communication:view" in check.fix
    assert "Conversation > Communication > View" in check.fix


def test_without_linking_a_missing_permission_is_reported_but_not_a_failure(genesys: GenesysSandbox) -> None:
    genesys.missing_permissions.add("conversation:communication:view")
    check = checks(genesys, linking=False)["genesys conversations"]
    assert check.ok
    assert "needed only for contact linking" in check.detail
