"""The one file ``cxbridge setup`` reads (``cxbridge.example.yaml``), and the secrets it never holds.

``${NAME}`` and ``${NAME:-default}`` in the file are replaced from the environment. Secrets are not in
the file: each comes from its environment variable or is prompted for, and is only ever sent to AWS.
"""

from __future__ import annotations

import getpass
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cxbridge.crm.sinks import AutomationAnywhereConnection, DynamicsConnection, SalesforceConnection

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

SinkKind = Literal["salesforce", "dynamics", "automation_anywhere"]
CONNECTIONS: dict[str, type[BaseModel]] = {
    "salesforce": SalesforceConnection,
    "dynamics": DynamicsConnection,
    "automation_anywhere": AutomationAnywhereConnection,
}
# Where each secret comes from: (section, secret key) → environment variable.
SECRET_ENV = {
    ("genesys", "client_secret"): "CXBRIDGE_GENESYS_CLIENT_SECRET",
    ("crm", "client_secret"): "CXBRIDGE_CRM_CLIENT_SECRET",
    ("crm", "api_key"): "CXBRIDGE_CRM_API_KEY",
}
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


class ConfigError(Exception):
    """The file is wrong; the message names the field."""


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# The topics the template's EventBridge rules route (template.yaml, "Genesys partner event bus").
EVENTBRIDGE_TOPICS = (
    "v2.detail.events.conversation.{id}.acw",
    "v2.detail.events.conversation.{id}.wrapup",
    "v2.detail.events.conversation.{id}.customer.end",
    "v2.detail.events.conversation.{id}.user.end",
)


class EventBridgeSection(_Section):
    """Option B: setup creates the Genesys EventBridge integration (its partner event source's suffix)."""

    event_source_suffix: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    topics: tuple[str, ...] = Field(default=EVENTBRIDGE_TOPICS, min_length=1)


class GenesysSection(_Section):
    region: str = Field(default="us-east-1", min_length=1)
    client_id: str = Field(min_length=1)
    # Only for the local stack: where the Genesys sandbox listens (login and API on one host).
    base_url: str | None = Field(default=None, pattern=r"^(https?://.*)?$")
    eventbridge: EventBridgeSection | None = None


class CrmSection(_Section):
    sink: SinkKind
    client_id: str | None = Field(default=None, min_length=1)  # Salesforce, Dynamics: the OAuth client
    username: str | None = Field(default=None, min_length=1)  # Automation Anywhere: the service account
    connection: dict[str, Any]  # the SSM parameter's document, as the worker reads it


class SetupConfig(_Section):
    genesys: GenesysSection
    crm: CrmSection


def _expand(text: str, environ: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name, default = match["name"], match["default"]
        if name in environ:
            return environ[name]
        if default is None:
            raise ConfigError(f"${{{name}}} is used in the file but not set in the environment")
        return default

    return _VARIABLE.sub(value, text)


def _field(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


def load(path: Path, environ: Mapping[str, str] = os.environ) -> SetupConfig:
    """Read, expand and validate the file; the CRM connection with the worker's own model."""
    try:
        document = yaml.safe_load(_expand(path.read_text(encoding="utf-8"), environ))
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not YAML: {exc}") from None
    try:
        config = SetupConfig.model_validate(document)
        CONNECTIONS[config.crm.sink].model_validate(config.crm.connection)
    except ValidationError as exc:
        prefix = "" if exc.title == "SetupConfig" else "crm.connection."
        errors = "; ".join(f"{prefix}{_field(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {errors}") from None
    identity = "username" if config.crm.sink == "automation_anywhere" else "client_id"
    if getattr(config.crm, identity) is None:
        raise ConfigError(f"{path}: crm.{identity}: required for crm.sink {config.crm.sink}")
    return config


def secret_value(
    section: str,
    key: str,
    environ: Mapping[str, str] = os.environ,
    prompt: Callable[[str], str] = getpass.getpass,
    interactive: bool | None = None,
) -> str:
    """A secret from its environment variable, else typed at a hidden prompt (never read from the file)."""
    variable = SECRET_ENV[(section, key)]
    if environ.get(variable):
        return environ[variable]
    if interactive if interactive is not None else sys.stdin.isatty():
        typed = prompt(f"{section} {key} (or set {variable}): ").strip()
        if typed:
            return typed
    raise ConfigError(f"{section}.{key} is not given: set {variable} or run interactively to be prompted")


def secrets_of(config: SetupConfig, read: Callable[[str, str], str]) -> tuple[dict[str, str], dict[str, str]]:
    """The Genesys and the CRM secret documents, in the shapes the functions read."""
    genesys = {"client_id": config.genesys.client_id, "client_secret": read("genesys", "client_secret")}
    crm = config.crm
    if crm.sink == "automation_anywhere":
        return genesys, {"username": str(crm.username), "api_key": read("crm", "api_key")}
    return genesys, {"client_id": str(crm.client_id), "client_secret": read("crm", "client_secret")}
