"""AutomationAnywhereSink against the Control Room fake over HTTP, with the in-memory ledger."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import pytest

from cxbridge.core.oauth import TokenCache
from cxbridge.core.upstream import WriteStatus
from cxbridge.crm import callback_token
from cxbridge.crm.automation_anywhere import AutomationAnywhereMapping, AutomationAnywhereSink
from cxbridge.crm.oauth import AutomationAnywhereTokenSource
from local.sandboxes.base import SANDBOX_SECRET
from tests.fakes.ledger import InMemoryBotDeploymentLedger
from tests.unit.adapters.support import SHORT_TIMEOUT_S, AnotherWorkerDropsFirst, FakeClock, outcome

if TYPE_CHECKING:
    from local.sandboxes.automation_anywhere import AutomationAnywhereSandbox

MAPPING = AutomationAnywhereMapping(
    file_id=87,
    run_as_user_ids=[3],
    bot_input={"sConversationId": "conversation_id", "sDisposition": "disposition", "nHandleSeconds": "handle_s"},
)
CALLBACK_URL = "http://127.0.0.1:9/aa/callback"
CALLBACK_KEY = b"callback-key-" * 3


@pytest.fixture
def ledger(clock: FakeClock) -> InMemoryBotDeploymentLedger:
    return InMemoryBotDeploymentLedger(clock)


def make_sink(
    server: AutomationAnywhereSandbox,
    ledger: InMemoryBotDeploymentLedger,
    clock: FakeClock,
    *,
    mapping: AutomationAnywhereMapping = MAPPING,
    control_room_url: str | None = None,
    timeout_s: float = 5.0,
) -> AutomationAnywhereSink:
    tokens = TokenCache(AutomationAnywhereTokenSource(server.url, "svc_api", SANDBOX_SECRET))
    return AutomationAnywhereSink(
        mapping,
        control_room_url or server.url,
        tokens,
        ledger,
        callback_url=CALLBACK_URL,
        callback_key=CALLBACK_KEY,
        timeout_s=timeout_s,
        clock=clock,
    )


def test_no_deploy_starts_once_the_time_left_is_used_up(
    control_room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock
) -> None:
    results = make_sink(control_room, ledger, clock).write([outcome(1)], lambda: False)

    assert (results[0].status, results[0].reason) == (WriteStatus.TRANSIENT, "time-budget")
    assert control_room.state()["deployments"] == []
    assert ledger.get("conv-0001") is None


def test_deploy_sends_typed_inputs_and_records_the_deployment(
    control_room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock
) -> None:
    results = make_sink(control_room, ledger, clock).write([outcome(1, disposition=None)])

    (deployment,) = control_room.state()["deployments"]
    assert (results[0].status, results[0].crm_id) == (WriteStatus.SUBMITTED, deployment["deploymentId"])
    assert deployment["fileId"] == 87
    assert deployment["runAsUserIds"] == [3]
    assert deployment["overrideDefaultDevice"] is False
    assert deployment["botInput"] == {
        "sConversationId": {"type": "STRING", "string": "conv-0001"},
        "nHandleSeconds": {"type": "NUMBER", "number": 386},
    }
    # the run carries its own token, for its call only: no key of our API goes to the Control Room
    token = callback_token.sign(CALLBACK_KEY, deployment["botInput"]["sConversationId"]["string"])
    assert deployment["callbackInfo"] == {"url": CALLBACK_URL, "headers": {callback_token.HEADER: token}}
    entry = ledger.get("conv-0001")
    assert entry is not None
    assert entry.deployment_id == deployment["deploymentId"]


def test_a_redelivery_does_not_deploy_twice(
    control_room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock
) -> None:
    sink = make_sink(control_room, ledger, clock)
    first = sink.write([outcome(1)])
    clock.advance(3_600)
    again = sink.write([outcome(1), outcome(1)])

    assert [r.status for r in again] == [WriteStatus.SUBMITTED] * 2
    assert {r.crm_id for r in again} == {first[0].crm_id}
    assert control_room.requests("deploy") == 1
    assert len(control_room.state()["deployments"]) == 1


def test_a_refused_deploy_is_permanent_and_releases_the_claim(
    control_room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock
) -> None:
    control_room.configure(device_available=False)
    sink = make_sink(control_room, ledger, clock)

    refused = sink.write([outcome(1)])

    assert (refused[0].status, refused[0].reason) == (WriteStatus.PERMANENT, "bot.deploy.device.unavailable")
    assert ledger.get("conv-0001") is None
    control_room.configure(device_available=True)  # a redrive after the device is back deploys
    assert sink.write([outcome(1)])[0].status is WriteStatus.SUBMITTED


def test_a_throttled_deploy_releases_the_claim_so_a_retry_deploys(
    control_room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock
) -> None:
    control_room.configure(throttle_ratio=1.0)
    sink = make_sink(control_room, ledger, clock)

    throttled = sink.write([outcome(1)])

    assert (throttled[0].status, throttled[0].retry_after_s) == (WriteStatus.THROTTLED, 2.0)
    assert ledger.get("conv-0001") is None
    control_room.configure(throttle_ratio=0.0)
    assert sink.write([outcome(1)])[0].status is WriteStatus.SUBMITTED
    assert len(control_room.state()["deployments"]) == 1


def test_a_timed_out_deploy_is_looked_up_and_deployed_when_the_control_room_started_no_run(
    control_room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock
) -> None:
    control_room.clock = clock
    control_room.configure(timeout_ratio=1.0)
    sink = make_sink(control_room, ledger, clock, timeout_s=SHORT_TIMEOUT_S)

    timed_out = sink.write([outcome(1)])
    control_room.configure(timeout_ratio=0.0)
    in_flight = sink.write([outcome(1)])
    clock.advance(61)
    looked_up = sink.write([outcome(1)])

    assert (timed_out[0].status, timed_out[0].reason) == (WriteStatus.TRANSIENT, "timeout")
    assert (in_flight[0].status, in_flight[0].reason) == (WriteStatus.TRANSIENT, "deployment-in-flight")
    assert looked_up[0].status is WriteStatus.SUBMITTED
    assert control_room.requests("activity_list") == 1
    assert len(control_room.state()["deployments"]) == 1  # the lost request started nothing


def test_an_unrecorded_claim_with_a_run_in_its_window_is_retried_never_deployed_again(
    control_room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock
) -> None:
    control_room.clock = clock
    sink = make_sink(control_room, ledger, clock)
    sink.write([outcome(2)])  # a run of this bot, created at the time of the claim below
    assert ledger.claim("conv-0001", outcome(1).content) is None  # claimed; the answer was lost
    clock.advance(61)

    ambiguous = sink.write([outcome(1)])

    assert (ambiguous[0].status, ambiguous[0].reason) == (WriteStatus.TRANSIENT, "ambiguous-deployment")
    assert len(control_room.state()["deployments"]) == 1


def test_a_stale_claim_another_worker_replaced_meanwhile_is_not_deployed_twice(
    control_room: AutomationAnywhereSandbox, clock: FakeClock
) -> None:
    ledger = AnotherWorkerDropsFirst(clock)
    sink = make_sink(control_room, ledger, clock)
    assert ledger.claim("conv-0001", outcome(1).content) is None  # its worker crashed before the deploy
    clock.advance(61)  # past the in-flight window, and no run created: the claim is stale

    result = sink.write([outcome(1)])

    assert result[0].status is WriteStatus.TRANSIENT  # the other worker's fresh claim stands; it deploys
    assert control_room.state()["deployments"] == []


def run_ends(control_room: AutomationAnywhereSandbox, deployment_id: str, status: str = "COMPLETED") -> None:
    """The run ends in the Control Room; its callback is lost."""
    with control_room.lock:
        control_room.deployments[deployment_id]["status"] = status


def test_a_changed_disposition_waits_for_the_older_run_then_deploys_the_new_content(
    control_room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock
) -> None:
    sink = make_sink(control_room, ledger, clock)
    first = sink.write([outcome(1, disposition="Resolved", content="v1")])
    while_running = sink.write([outcome(1, disposition="Escalated", content="v2")])
    clock.advance(61)
    still_running = sink.write([outcome(1, disposition="Escalated", content="v2")])
    run_ends(control_room, str(first[0].crm_id))
    sent = sink.write([outcome(1, disposition="Escalated", content="v2")])

    assert first[0].status is WriteStatus.SUBMITTED
    assert (while_running[0].reason, still_running[0].reason) == ("deployment-in-flight", "previous-run-in-flight")
    assert sent[0].status is WriteStatus.SUBMITTED
    runs = control_room.state()["deployments"]
    assert [r["deploymentId"] for r in runs] == [first[0].crm_id, sent[0].crm_id]
    entry = ledger.get("conv-0001")
    assert entry is not None
    assert (entry.deployment_id, entry.content) == (sent[0].crm_id, "v2")


def test_a_run_whose_callback_was_lost_is_settled_from_the_activity_list(
    control_room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock
) -> None:
    sink = make_sink(control_room, ledger, clock)
    first = sink.write([outcome(1, content="v1")])
    clock.advance(61)
    run_ends(control_room, str(first[0].crm_id))

    redelivered = sink.write([outcome(1, content="v1")])

    assert (redelivered[0].status, redelivered[0].crm_id) == (WriteStatus.WRITTEN, first[0].crm_id)
    assert len(control_room.state()["deployments"]) == 1


def test_a_connection_never_made_releases_the_claim(
    control_room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock
) -> None:
    with socket.socket() as bound_not_listening:  # held, so no one else takes the port; connecting is refused
        bound_not_listening.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{bound_not_listening.getsockname()[1]}"
        results = make_sink(control_room, ledger, clock, control_room_url=dead_url).write([outcome(1)])

    assert (results[0].status, results[0].reason) == (WriteStatus.TRANSIENT, "connection")
    assert ledger.get("conv-0001") is None


def test_an_expired_token_is_renewed_once(
    control_room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock
) -> None:
    control_room.configure(expire_tokens_after=1)

    results = make_sink(control_room, ledger, clock).write([outcome(1), outcome(2)])

    assert [r.status for r in results] == [WriteStatus.SUBMITTED] * 2
    assert control_room.requests("authentication") == 2
    assert control_room.requests("deploy") == 3
    assert len(control_room.state()["deployments"]) == 2


def test_a_mapping_to_an_unknown_attribute_is_permanent_and_claims_nothing(
    control_room: AutomationAnywhereSandbox, ledger: InMemoryBotDeploymentLedger, clock: FakeClock
) -> None:
    mapping = MAPPING.model_copy(update={"bot_input": {"sPhone": "ani"}})

    results = make_sink(control_room, ledger, clock, mapping=mapping).write([outcome(1)])

    assert (results[0].status, results[0].reason) == (WriteStatus.PERMANENT, "mapping:ani")
    assert ledger.get("conv-0001") is None
    assert control_room.state()["requests"] == {}
