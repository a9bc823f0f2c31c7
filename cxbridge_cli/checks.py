"""Each connection checked the way the worker uses it: the same documents, the same logins, the same hosts.

A check answers ``Check(name, ok, detail, fix)``; a failed one says what to change, and where.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from cxbridge.core.http import json_body, new_session
from cxbridge.core.upstream import UpstreamFailure
from cxbridge.crm.oauth import AutomationAnywhereTokenSource, EntraTokenSource, SalesforceTokenSource
from cxbridge.crm.sinks import AutomationAnywhereConnection, DynamicsConnection, SalesforceConnection
from cxbridge.genesys.connection import connect
from cxbridge.genesys.regions import region_domain

if TYPE_CHECKING:
    from cxbridge.core.oauth import AccessToken
    from cxbridge_cli.config import GenesysSection

ODATA = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


class StepFailed(Exception):
    """Stops a system's checks at the first failure that makes the next ones meaningless."""

    def __init__(self, check: Check) -> None:
        super().__init__(check.name)
        self.check = check


def call(name: str, method: str, url: str, token: AccessToken, **kwargs: Any) -> requests.Response:
    """One API request with the token (``timeout_s`` and ``session`` in ``kwargs``); no answer ends the checks."""
    session: requests.Session = kwargs.pop("session")
    headers = {**kwargs.pop("headers", {}), **token.headers()}
    try:
        return session.request(method, url, headers=headers, timeout=kwargs.pop("timeout_s"), **kwargs)
    except requests.RequestException as exc:
        detail = f"no answer from {url} ({type(exc).__name__})"
        raise StepFailed(Check(name, False, detail, "check the URL and the network")) from None


def login(name: str, fetch: Any, fix: str) -> AccessToken:
    try:
        token: AccessToken = fetch()
    except UpstreamFailure as exc:
        raise StepFailed(Check(name, False, f"login refused ({exc.reason})", fix)) from None
    return token


def run_steps(steps: Any) -> list[Check]:
    """Collect the checks a generator yields; a ``StepFailed`` ends it with its check."""
    done: list[Check] = []
    try:
        done.extend(steps)
    except StepFailed as failed:
        done.append(failed.check)
    return done


# ---- Genesys ---------------------------------------------------------------------------------------------


# A conversation id no org holds: reading it answers 404 when the client may read conversations, 403 when not.
PROBE_CONVERSATION = "00000000-0000-4000-8000-000000000000"
CONVERSATION_PERMISSION = "Conversation > Communication > View (conversation:communication:view)"


def check_genesys(
    section: GenesysSection, secret: dict[str, str], timeout_s: float, *, linking: bool = False
) -> list[Check]:
    """Token; the wrap-up codes (the worker names dispositions with them) and queues the client can read;
    whether it may read conversations (contact linking reads the caller from one; ``linking``: required)."""
    return run_steps(_genesys_steps(section, secret, timeout_s, linking))


def _conversation_check(status: int, *, linking: bool) -> Check:
    """What ``GET /api/v2/conversations/{probe}`` says about the permission: 404 (or 200) means Genesys
    looked for it, so the client holds the permission; 403 means it refused before looking."""
    name = "genesys conversations"
    if status in (200, 404):
        return Check(name, True, f"readable (HTTP {status} for a probe conversation)")
    if status == 403:
        fix = f"give the OAuth client's role the permission {CONVERSATION_PERMISSION} (docs/setup/genesys.md)"
        if not linking:
            return Check(name, True, "not readable (HTTP 403): needed only for contact linking (a lookup section)")
        return Check(name, False, "HTTP 403: the client may not read conversations, so no call gets its contact", fix)
    if status == 401:
        return Check(name, False, "HTTP 401", "the token was refused: check the OAuth client and genesys.region")
    return Check(name, False, f"HTTP {status}", "retry; if it persists, see Genesys status")


def _genesys_steps(section: GenesysSection, secret: dict[str, str], timeout_s: float, linking: bool = False) -> Any:
    connection = connect(secret, region=section.region, base_url=section.base_url, timeout_s=timeout_s)
    host = section.base_url or f"login.{region_domain(section.region)}"
    fix = (
        f"check genesys.client_id and CXBRIDGE_GENESYS_CLIENT_SECRET (an OAuth client with the Client Credentials "
        f"grant, Admin > Integrations > OAuth) and genesys.region (logs in at {host})"
    )
    token = login("genesys login", connection.tokens.get, fix)
    yield Check("genesys login", True, f"token from {host}")
    session = new_session(pool_size=1)
    for name, path, permission in (
        ("genesys wrap-up codes", "/api/v2/routing/wrapupcodes", "Routing > Wrap-up Code > View"),
        ("genesys queues", "/api/v2/routing/queues", "Routing > Queue > View"),
    ):
        response = call(
            name, "GET", connection.api_url + path, token, session=session, timeout_s=timeout_s, params={"pageSize": 1}
        )
        if response.status_code in (401, 403):
            fix = f"give the OAuth client's role the permission {permission} (docs/setup/genesys.md)"
            raise StepFailed(Check(name, False, f"HTTP {response.status_code}", fix))
        if not response.ok:
            raise StepFailed(
                Check(name, False, f"HTTP {response.status_code}", "retry; if it persists, see Genesys status")
            )
        body = json_body(response)
        total = body.get("total", "?") if isinstance(body, dict) else "?"
        yield Check(name, True, f"{total} readable")
    url = f"{connection.api_url}/api/v2/conversations/{PROBE_CONVERSATION}"
    response = call("genesys conversations", "GET", url, token, session=session, timeout_s=timeout_s)
    check = _conversation_check(response.status_code, linking=linking)
    if not check.ok:
        raise StepFailed(check)
    yield check


# ---- Salesforce ------------------------------------------------------------------------------------------


def check_salesforce(connection: dict[str, Any], secret: dict[str, str], timeout_s: float) -> list[Check]:
    """Token; ``describe`` of the object: the external-id field is External ID + Unique, each mapped field writable."""
    return run_steps(_salesforce_steps(SalesforceConnection.model_validate(connection), secret, timeout_s))


def _salesforce_steps(sf: SalesforceConnection, secret: dict[str, str], timeout_s: float) -> Any:
    session = new_session(pool_size=1)
    source = SalesforceTokenSource(sf.my_domain_url, secret["client_id"], secret["client_secret"])
    fix = (
        "check crm.client_id and CXBRIDGE_CRM_CLIENT_SECRET (the External Client App's consumer key and secret), "
        "that the app enables the Client Credentials flow with a run-as user, and crm.connection.my_domain_url "
        "(the My Domain host, not login.salesforce.com)"
    )
    token = login("salesforce login", lambda: source.fetch(session, timeout_s), fix)
    yield Check("salesforce login", True, f"token for {token.instance_url}")
    m = sf.mapping
    url = f"{token.instance_url}/services/data/v{m.api_version}/sobjects/{m.object}/describe"
    response = call("salesforce object", "GET", url, token, session=session, timeout_s=timeout_s)
    if response.status_code == 404:
        fix = (
            f"create the object {m.object} (docs/setup/salesforce.md) or fix crm.connection.mapping.object; "
            "the run-as user needs Read, Create and Edit on it"
        )
        raise StepFailed(Check("salesforce object", False, f"{m.object} not found", fix))
    if not response.ok:
        raise StepFailed(Check("salesforce object", False, f"describe {m.object}: HTTP {response.status_code}", ""))
    body = json_body(response)
    fields = (
        {f.get("name"): f for f in (body.get("fields") or []) if isinstance(f, dict)} if isinstance(body, dict) else {}
    )
    yield Check("salesforce object", True, f"{m.object}: {len(fields)} fields")
    yield _salesforce_key(m.object, m.external_id_field, fields.get(m.external_id_field))
    for name in m.fields:
        yield _salesforce_writable(m.object, name, fields.get(name))


def _salesforce_key(obj: str, name: str, described: dict[str, Any] | None) -> Check:
    check = f"salesforce external id {name}"
    if described is None:
        fix = (
            f"create the field {name} on {obj} as Text with External ID and Unique ticked, "
            "or fix crm.connection.mapping.external_id_field"
        )
        return Check(check, False, f"{obj} has no field {name}", fix)
    if not described.get("externalId") or not described.get("unique"):
        fix = (
            f"edit the field {name} on {obj}: tick External ID and Unique (an upsert on it must never duplicate a call)"
        )
        return Check(check, False, f"{name} is not marked External ID and Unique", fix)
    if not described.get("createable") or not described.get("updateable"):
        return Check(
            check, False, f"{name} is read-only for the run-as user", f"grant Edit on {name} in field-level security"
        )
    return Check(check, True, "External ID, Unique, writable")


def _salesforce_writable(obj: str, name: str, described: dict[str, Any] | None) -> Check:
    check = f"salesforce field {name}"
    if described is None:
        fix = f"create {name} on {obj} (or grant field-level access to it), or fix crm.connection.mapping.fields"
        return Check(check, False, f"{obj} has no field {name} the run-as user can see", fix)
    if not described.get("createable") or not described.get("updateable"):
        fix = f"grant the run-as user Edit on {obj}.{name} (field-level security), or drop it from the mapping"
        return Check(check, False, f"{name} is read-only for the run-as user", fix)
    return Check(check, True, f"writable ({described.get('type')})")


# ---- Dynamics 365 / Dataverse ----------------------------------------------------------------------------


def check_dynamics(connection: dict[str, Any], secret: dict[str, str], timeout_s: float) -> list[Check]:
    """Token; the entity set's table, its alternate key (Active) and each mapped column valid for create and update."""
    return run_steps(_dynamics_steps(DynamicsConnection.model_validate(connection), secret, timeout_s))


def _dynamics_steps(dyn: DynamicsConnection, secret: dict[str, str], timeout_s: float) -> Any:
    session = new_session(pool_size=1)
    source = EntraTokenSource(
        dyn.tenant_id, secret["client_id"], secret["client_secret"], dyn.org_url, dyn.login_base_url
    )
    fix = (
        "check crm.client_id and CXBRIDGE_CRM_CLIENT_SECRET (the Entra app registration's client id and a client "
        "secret), crm.connection.tenant_id, and that the app is an application user of the environment"
    )
    token = login("dynamics login", lambda: source.fetch(session, timeout_s), fix)
    yield Check("dynamics login", True, f"token for {dyn.org_url}")
    m = dyn.mapping
    url = f"{dyn.org_url.rstrip('/')}/api/data/v9.2/EntityDefinitions"
    params = {
        "$filter": f"EntitySetName eq '{m.entity_set}'",
        "$select": "LogicalName,EntitySetName",
        "$expand": "Attributes($select=LogicalName,IsValidForCreate,IsValidForUpdate),"
        "Keys($select=LogicalName,KeyAttributes,EntityKeyIndexStatus)",
    }
    response = call(
        "dynamics table", "GET", url, token, session=session, timeout_s=timeout_s, params=params, headers=ODATA
    )
    if response.status_code in (401, 403):
        fix = "give the application user a security role that can read table definitions and write the table"
        raise StepFailed(Check("dynamics table", False, f"HTTP {response.status_code}", fix))
    body = json_body(response)
    found = body.get("value") if isinstance(body, dict) else None
    if not response.ok or not isinstance(found, list) or not found:
        fix = f"create the table (docs/setup/dynamics.md) or fix crm.connection.mapping.entity_set ({m.entity_set})"
        raise StepFailed(Check("dynamics table", False, f"no table with entity set {m.entity_set}", fix))
    table = found[0]
    columns = {a.get("LogicalName"): a for a in table.get("Attributes") or [] if isinstance(a, dict)}
    yield Check("dynamics table", True, f"{table.get('LogicalName')}: {len(columns)} columns")
    yield _dynamics_key(m.alternate_key, table.get("Keys") or [])
    for name in m.fields:
        column = columns.get(name)
        check = f"dynamics column {name}"
        if column is None:
            yield Check(check, False, f"no column {name}", f"create it or fix crm.connection.mapping.fields ({name})")
        elif not column.get("IsValidForCreate") or not column.get("IsValidForUpdate"):
            yield Check(check, False, f"{name} cannot be written", f"map a writable column instead of {name}")
        else:
            yield Check(check, True, "valid for create and update")


def _dynamics_key(column: str, keys: list[Any]) -> Check:
    check = f"dynamics alternate key {column}"
    key = next((k for k in keys if isinstance(k, dict) and k.get("KeyAttributes") == [column]), None)
    if key is None:
        fix = f"add an alternate key on the one column {column} (docs/setup/dynamics.md), or fix mapping.alternate_key"
        return Check(check, False, f"no alternate key on {column} alone", fix)
    if key.get("EntityKeyIndexStatus") != "Active":
        fix = "wait for the key's index job to finish; if it Failed, remove duplicate values and reactivate the key"
        return Check(check, False, f"key {key.get('LogicalName')} is {key.get('EntityKeyIndexStatus')}", fix)
    return Check(check, True, f"key {key.get('LogicalName')} Active")


# ---- Automation Anywhere -----------------------------------------------------------------------------------


def check_automation_anywhere(connection: dict[str, Any], secret: dict[str, str], timeout_s: float) -> list[Check]:
    """Login with the API key; the bot file exists; each run-as user holds an unattended runner licence."""
    return run_steps(_aa_steps(AutomationAnywhereConnection.model_validate(connection), secret, timeout_s))


def _aa_queue_check(
    aa: AutomationAnywhereConnection, base: str, token: AccessToken, session: requests.Session, timeout_s: float
) -> Check:
    """The WLM queue answers a listing of its work items: it exists and the service account may add to it."""
    name = "automation anywhere work queue"
    if aa.work_queue is None:
        fix = "set crm.connection.mapping (deploy mode) or crm.connection.work_queue (workqueue mode)"
        raise StepFailed(Check(name, False, "neither mapping nor work_queue is configured", fix))
    queue_id = aa.work_queue.queue_id
    url = f"{base}/v3/wlm/queues/{queue_id}/workitems/list"
    body = {"page": {"offset": 0, "length": 1}}
    response = call(name, "POST", url, token, session=session, timeout_s=timeout_s, json=body)
    if not response.ok:
        fix = "check crm.connection.work_queue.queue_id; the service account must own or take part in the queue"
        raise StepFailed(Check(name, False, f"queue {queue_id}: HTTP {response.status_code}", fix))
    return Check(name, True, f"queue {queue_id}")


def _aa_steps(aa: AutomationAnywhereConnection, secret: dict[str, str], timeout_s: float) -> Any:
    session = new_session(pool_size=1)
    base = aa.control_room_url.rstrip("/")
    source = AutomationAnywhereTokenSource(base, secret["username"], secret["api_key"])
    fix = "check crm.username and CXBRIDGE_CRM_API_KEY (the service account's API key; its role needs Generate API-Key)"
    token = login("automation anywhere login", lambda: source.fetch(session, timeout_s), fix)
    yield Check("automation anywhere login", True, f"token from {base}")
    m = aa.mapping
    if m is None:  # the work-queue mode (issue 16)
        yield _aa_queue_check(aa, base, token, session, timeout_s)
        return
    listing = {"filter": {"operator": "eq", "field": "id", "value": str(m.file_id)}}
    files_url = f"{base}/v2/repository/workspaces/public/files/list"
    response = call(
        "automation anywhere bot", "POST", files_url, token, session=session, timeout_s=timeout_s, json=listing
    )
    body = json_body(response)
    files = body.get("list") if isinstance(body, dict) else None
    if not response.ok or not isinstance(files, list) or not files:
        fix = (
            f"check crm.connection.mapping.file_id ({m.file_id}): the bot must be checked in (public workspace) "
            "and the service account needs View and run my bots"
        )
        raise StepFailed(Check("automation anywhere bot", False, f"no bot with file id {m.file_id}", fix))
    yield Check("automation anywhere bot", True, f"{files[0].get('name')} ({files[0].get('path', '')})")
    for user_id in m.run_as_user_ids:
        name = f"automation anywhere runner {user_id}"
        user_url = f"{base}/v1/usermanagement/users/{quote(str(user_id))}"
        response = call(name, "GET", user_url, token, session=session, timeout_s=timeout_s)
        user = json_body(response)
        if not response.ok or not isinstance(user, dict):
            yield Check(
                name,
                False,
                f"user {user_id}: HTTP {response.status_code}",
                "fix crm.connection.mapping.run_as_user_ids",
            )
        elif "RUNTIME" not in (user.get("licenseFeatures") or []):
            fix = f"give {user.get('username')} an Unattended Bot Runner licence and a default device"
            yield Check(name, False, f"{user.get('username')} is not an unattended runner", fix)
        else:
            yield Check(name, True, f"{user.get('username')}: unattended runner")


CRM_CHECKS = {
    "salesforce": check_salesforce,
    "dynamics": check_dynamics,
    "automation_anywhere": check_automation_anywhere,
}
