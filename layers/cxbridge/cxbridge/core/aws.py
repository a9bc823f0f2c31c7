"""AWS clients, created once per process and keyed by service and region (never by class alone).

All of them come from one botocore session: a session's loader reads and parses the SDK's endpoint rules,
partitions and service list once, so each client after the first costs a fraction of a fresh session's
(a workitem SLA step builds four: ~100 ms of a cold start). botocore, not boto3: boto3's clients are
botocore's, and importing boto3 adds s3transfer to every cold start (docs/decisions.md, issue 15).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.config import Config

from cxbridge.core import wiring
from cxbridge.core.keys import Keys, keys_from

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider, SSMProvider

# Short timeouts: a Lambda behind API Gateway has seconds, not minutes. Standard retry mode backs off
# with jitter on throttling before an error reaches us.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})
# Creating clients from one session is not thread-safe (the local stack runs handlers on threads).
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@lru_cache(maxsize=16)
def client(service: str, region: str | None = None) -> Any:
    """A shared client for ``service``; reused across invocations for connection reuse."""
    with _LOCK:
        return _session().create_client(service, region_name=region, config=_CONFIG)


@lru_cache(maxsize=1)
def _secrets() -> SecretsProvider:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider  # noqa: PLC0415 - only who reads secrets

    return SecretsProvider(boto3_client=client("secretsmanager"))


@lru_cache(maxsize=1)
def _parameters() -> SSMProvider:
    from aws_lambda_powertools.utilities.parameters import SSMProvider  # noqa: PLC0415 - only who reads parameters

    return SSMProvider(boto3_client=client("ssm"))


def json_secret(name: str, max_age_s: int) -> dict[str, Any]:
    """A JSON secret through Powertools (cached ``max_age_s``), on the shared session: its default starts one."""
    return cast("dict[str, Any]", _secrets().get(name, transform="json", max_age=max_age_s))


def parameter(name: str, max_age_s: int) -> str:
    """An SSM parameter's text through Powertools (cached ``max_age_s``), on the shared session."""
    return str(_parameters().get(name, max_age=max_age_s))


def read_keys(secret_name: str, max_age_s: int) -> Keys:
    """The stack's own keys in ``secret_name`` (``{"current", "previous"}``), as ``json_secret`` reads them."""
    return keys_from(json_secret(secret_name, max_age_s))


def json_parameter(name: str, max_age_s: int) -> dict[str, Any]:
    """An SSM parameter holding JSON, as ``parameter`` reads it."""
    return cast("dict[str, Any]", _parameters().get(name, transform="json", max_age=max_age_s))


wiring.register(client.cache_clear, _session.cache_clear, _secrets.cache_clear, _parameters.cache_clear)
