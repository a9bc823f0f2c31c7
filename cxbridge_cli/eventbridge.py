"""The Genesys side of option B: the Amazon EventBridge Source integration, created or brought up to date.

Idempotent (the Platform API's integrations endpoints): the integration is found by its type and
name (``cxbridge <suffix>``), created only when missing; its configuration is written only when its
properties differ (with the current ``version``, once more on a version conflict); it is enabled only when
it is not. The partner event source it makes is ``aws.partner/genesys.com/cloud/<org id>/<suffix>``; the
stack's ``GenesysEventBusName`` must name the event bus associated with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cxbridge.core.http import json_body, new_session
from cxbridge.genesys.connection import connect
from cxbridge_cli.checks import Check, StepFailed, call, login, run_steps

if TYPE_CHECKING:
    import requests

    from cxbridge.core.oauth import AccessToken
    from cxbridge_cli.config import EventBridgeSection, GenesysSection

TYPE = "amazon-eventbridge-source"
PERMISSION = "give the OAuth client's role Integrations > Integration > Add, Edit and View (docs/setup/genesys.md)"


class _Api:
    """The integrations API with one token; a refused or failed request ends the step with its fix."""

    def __init__(self, api_url: str, token: AccessToken, timeout_s: float) -> None:
        self.api_url, self.token, self.timeout_s = api_url, token, timeout_s
        self.session = new_session(pool_size=1)

    def send(self, name: str, method: str, path: str, body: Any = None) -> requests.Response:
        kwargs: dict[str, Any] = {"session": self.session, "timeout_s": self.timeout_s}
        if body is not None:
            kwargs["json"] = body
        response = call(name, method, self.api_url + path, self.token, **kwargs)
        if response.status_code in (401, 403):
            raise StepFailed(Check(name, False, f"{method} {path}: HTTP {response.status_code}", PERMISSION))
        return response

    def json(self, name: str, method: str, path: str, body: Any = None) -> Any:
        response = self.send(name, method, path, body)
        if not response.ok:
            detail = f"{method} {path}: HTTP {response.status_code}"
            raise StepFailed(Check(name, False, detail, "retry; if it persists, see the Genesys status page"))
        return json_body(response)


def desired_properties(section: EventBridgeSection, account_id: str, region: str) -> dict[str, Any]:
    return {
        "awsAccountId": account_id,
        "awsAccountRegion": region,
        "eventSourceSuffix": section.event_source_suffix,
        "eventFilter": list(section.topics),
    }


def ensure_integration(
    genesys: GenesysSection,
    secret: dict[str, str],
    target: tuple[str, str, str],  # AWS account id, region, the stack's GenesysEventBusName
    *,
    write: bool,
    timeout_s: float,
) -> list[Check]:
    """Create or update the integration (``write``), or only check it; then check the stack's bus name."""
    return run_steps(_steps(genesys, secret, target, write=write, timeout_s=timeout_s))


def _steps(
    genesys: GenesysSection, secret: dict[str, str], target: tuple[str, str, str], *, write: bool, timeout_s: float
) -> Any:
    section = genesys.eventbridge
    assert section is not None  # noqa: S101 - only called with an eventbridge section
    account_id, region, bus_name = target
    connection = connect(secret, region=genesys.region, base_url=genesys.base_url, timeout_s=timeout_s)
    api = _Api(
        connection.api_url, login("genesys login", connection.tokens.get, "see the genesys login check"), timeout_s
    )
    name = f"cxbridge {section.event_source_suffix}"
    check = "genesys eventbridge integration"
    listed = api.json(check, "GET", "/api/v2/integrations?pageSize=100")
    found = next(
        (
            i
            for i in (listed.get("entities") or [] if isinstance(listed, dict) else [])
            if (i.get("integrationType") or {}).get("id") == TYPE and i.get("name") == name
        ),
        None,
    )
    if found is None and not write:
        raise StepFailed(Check(check, False, f"no integration {name!r}", "run cxbridge setup without --check-only"))
    if found is None:
        found = api.json(check, "POST", "/api/v2/integrations", {"integrationType": {"id": TYPE}})
        yield Check(check, True, f"created {name!r}")
    path = f"/api/v2/integrations/{found['id']}"
    wanted = desired_properties(section, account_id, region)
    yield _configure(api, path, name, wanted, write=write)
    if found.get("intendedState") != "ENABLED":
        if not write:
            raise StepFailed(Check(check, False, f"{name!r} is not enabled", "run cxbridge setup without --check-only"))
        api.json(check, "PATCH", path, {"intendedState": "ENABLED"})
    yield Check(f"{check} enabled", True, name)
    org = api.json("genesys organization", "GET", "/api/v2/organizations/me")
    expected = f"aws.partner/genesys.com/cloud/{org.get('id')}/{section.event_source_suffix}"
    if bus_name != expected:
        fix = (
            f"EventBridge > Partner event sources: associate {expected} with an event bus, "
            f"then deploy with GenesysEventBusName={expected}"
        )
        yield Check("stack GenesysEventBusName", False, f"stack has {bus_name or '(empty)'!r}", fix)
    else:
        yield Check("stack GenesysEventBusName", True, expected)


def _configure(api: _Api, path: str, name: str, wanted: dict[str, Any], *, write: bool) -> Check:
    check = "genesys eventbridge configuration"
    for _ in range(2):  # once more if another writer changed the version in between
        current = api.json(check, "GET", path + "/config/current")
        if current.get("name") == name and current.get("properties") == wanted:
            return Check(check, True, f"{len(wanted['eventFilter'])} topics, version {current.get('version')}")
        if not write:
            return Check(check, False, "its properties differ from the file", "run cxbridge setup without --check-only")
        body = {**{k: current.get(k) for k in ("notes", "advanced", "credentials")}, "name": name}
        response = api.send(
            check, "PUT", path + "/config/current", {**body, "version": current.get("version"), "properties": wanted}
        )
        if response.ok:
            return Check(
                check,
                True,
                f"written: {len(wanted['eventFilter'])} topics, version {json_body(response).get('version')}",
            )
        if response.status_code != 409:
            return Check(
                check, False, f"PUT config: HTTP {response.status_code}", "check the properties in genesys.eventbridge"
            )
    return Check(check, False, "the version kept changing", "retry")
