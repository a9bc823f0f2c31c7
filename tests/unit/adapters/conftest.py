"""Fakes over real HTTP on 127.0.0.1, one fresh server per test."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from local.sandboxes.automation_anywhere import AutomationAnywhereSandbox
from local.sandboxes.dynamics import DynamicsSandbox
from local.sandboxes.genesys import GenesysSandbox
from local.sandboxes.salesforce import SalesforceSandbox
from tests.unit.adapters.support import CallbackReceiver, FakeClock

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def salesforce() -> Iterator[SalesforceSandbox]:
    with SalesforceSandbox(seed=7) as server:
        yield server


@pytest.fixture
def dynamics() -> Iterator[DynamicsSandbox]:
    with DynamicsSandbox(seed=7) as server:
        yield server


@pytest.fixture
def control_room() -> Iterator[AutomationAnywhereSandbox]:
    with AutomationAnywhereSandbox(seed=7) as server:
        yield server


@pytest.fixture
def genesys() -> Iterator[GenesysSandbox]:
    with GenesysSandbox(wrapup_codes={"wc-1": "Resolved", "wc-2": "Callback requested"}, seed=7) as server:
        yield server


@pytest.fixture
def callback_receiver() -> Iterator[CallbackReceiver]:
    receiver = CallbackReceiver()
    yield receiver
    receiver.close()
