"""Test environment: fake AWS credentials, no real endpoints, caches reset between tests."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

# Set before anything builds a boto3 client: tests never reach AWS.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "POWERTOOLS_METRICS_NAMESPACE": "cxbridge",
        "POWERTOOLS_SERVICE_NAME": "cxbridge-tests",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)


@pytest.fixture(scope="session", autouse=True)
def _atomic_dynamodb() -> None:
    """moto's conditional writes made as atomic as DynamoDB's (see ``local.moto_atomic``)."""
    from local.moto_atomic import make_dynamodb_requests_atomic

    make_dynamodb_requests_atomic()


@pytest.fixture(autouse=True)
def _fresh_composition_root() -> Iterator[None]:
    """Each test wires its own services, settings and clients."""
    from cxbridge.core import wiring

    wiring.reset()
    yield
    wiring.reset()
