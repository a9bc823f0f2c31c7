"""``cxbridge setup``: write the CRM parameter and the two secrets the stack names, then check every connection."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from cxbridge_cli.checks import CRM_CHECKS, Check, check_genesys
from cxbridge_cli.eventbridge import ensure_integration

if TYPE_CHECKING:
    from cxbridge_cli.config import SetupConfig
    from cxbridge_cli.stack import Aws, Stack


def put_secret(secrets: Any, name: str, value: dict[str, str]) -> str:
    """Create the secret, or add a new version of it; "created" or "updated"."""
    body = json.dumps(value)
    try:
        secrets.put_secret_value(SecretId=name, SecretString=body)
    except secrets.exceptions.ResourceNotFoundException:
        secrets.create_secret(Name=name, SecretString=body, Description="cxbridge (written by cxbridge setup)")
        return "created"
    return "updated"


def write(aws: Aws, stack: Stack, config: SetupConfig, genesys: dict[str, str], crm: dict[str, str]) -> list[str]:
    """The SSM parameter (the CRM connection) and the secrets, under the names the stack was deployed with."""
    parameter = stack.parameters.get("CrmConfigParameterName") or "/cxbridge/crm/config"
    aws.client("ssm").put_parameter(
        Name=parameter, Type="String", Value=json.dumps(config.crm.connection), Overwrite=True
    )
    secrets = aws.client("secretsmanager")
    crm_name = stack.parameters.get("CrmSecretName") or "cxbridge/crm"
    genesys_name = stack.parameters.get("GenesysSecretName") or "cxbridge/genesys"
    return [
        f"parameter {parameter} written",
        f"secret {crm_name} {put_secret(secrets, crm_name, crm)}",
        f"secret {genesys_name} {put_secret(secrets, genesys_name, genesys)}",
    ]


def stack_matches(stack: Stack, config: SetupConfig) -> list[Check]:
    """The file and the deployed parameters agree on the sink and the Genesys region."""
    checks = []
    for name, parameter, wanted in (
        ("stack CrmSink", "CrmSink", config.crm.sink),
        ("stack GenesysRegion", "GenesysRegion", config.genesys.region),
    ):
        deployed = stack.parameters.get(parameter)
        if deployed is not None and deployed != wanted:
            fix = f"redeploy with {parameter}={wanted} (sam deploy --parameter-overrides), or fix the file"
            checks.append(Check(name, False, f"stack has {deployed}, the file says {wanted}", fix))
        else:
            checks.append(Check(name, True, wanted))
    return checks


def eventbridge(aws: Aws, stack: Stack, config: SetupConfig, genesys: dict[str, str], *, write: bool) -> list[Check]:
    """Option B (a ``genesys.eventbridge`` section): the integration, for this account and region."""
    if config.genesys.eventbridge is None:
        return []
    sts = aws.client("sts")
    target = (
        sts.get_caller_identity()["Account"],
        sts.meta.region_name,
        stack.parameters.get("GenesysEventBusName", ""),
    )
    timeout_s = float(stack.parameters.get("HttpTimeoutSeconds") or 5)
    return ensure_integration(config.genesys, genesys, target, write=write, timeout_s=timeout_s)


def check_all(stack: Stack, config: SetupConfig, genesys: dict[str, str], crm: dict[str, str]) -> list[Check]:
    timeout_s = float(stack.parameters.get("HttpTimeoutSeconds") or 5)
    return [
        *stack_matches(stack, config),
        *check_genesys(config.genesys, genesys, timeout_s, linking="lookup" in config.crm.connection),
        *CRM_CHECKS[config.crm.sink](config.crm.connection, crm, timeout_s),
    ]


def report(checks: list[Check]) -> list[str]:
    lines = []
    for check in checks:
        lines.append(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
        if not check.ok and check.fix:
            lines.append(f"     fix: {check.fix}")
    return lines
