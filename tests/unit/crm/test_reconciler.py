"""The reconciler: a record no path carries any more gets one new job, or its bot run settled."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.record import CallRecord, SyncStatus, merge
from cxbridge.crm.bot_callback import BotCallbackService
from cxbridge.crm.outcome import record_content
from cxbridge.crm.reconciler import BotPath, Reconciler, worst_case_s
from cxbridge.crm.sync import RetryPolicy
from tests.fakes.crm import InMemoryStrandedRecords as Stranded
from tests.fakes.ledger import InMemoryBotDeploymentLedger

if TYPE_CHECKING:
    from cxbridge.crm.job import CrmJob

NOW = 1_764_600_000.0  # 2025-12-01T14:40Z
WORST_CASE_S = worst_case_s(RetryPolicy(base_s=2, cap_s=900, max_receives=10), bot_run_budget_s=3600)


def pending(cid: str) -> CallRecord:
    event = CallEvent(EventKind.ACW, cid, "agent", int(NOW * 1000) - 20_000_000, user_id="u", wrapup_code_id="w")
    return replace(merge(None, event).record, version=1)


class Jobs:
    def __init__(self) -> None:
        self.sent: list[CrmJob] = []
        self.dead: list[str] = []

    def send(self, job: CrmJob) -> None:
        self.sent.append(job)

    def delay(self, receipt_handle: str, seconds: float) -> None:
        raise AssertionError("not used")

    def dead_letter(self, body: str, reason: str, conversation_id: str | None) -> None:
        self.dead.append(reason)


class ControlRoom:
    def __init__(self, statuses: dict[str, str]) -> None:
        self.statuses = statuses

    def run_status(self, deployment_id: str) -> str | None:
        return self.statuses.get(deployment_id)


def reconciler(store: Stranded, jobs: Jobs, bots: BotPath | None = None) -> Reconciler:
    return Reconciler(store, jobs, worst_case_s=WORST_CASE_S, bots=bots, clock=lambda: NOW)


def test_a_record_left_pending_past_the_worst_case_gets_one_job_however_many_passes_run() -> None:
    """The review's case: a job left the queue (redrive after timeouts) and the record stayed pending."""
    store, jobs = Stranded(), Jobs()
    store.records = {"lost": pending("lost"), "recent": pending("recent")}
    store.touched = {"lost": int((NOW - WORST_CASE_S - 1) * 1000), "recent": int((NOW - 60) * 1000)}

    first, second = reconciler(store, jobs).run(), reconciler(store, jobs).run()

    assert [j.conversationId for j in jobs.sent] == ["lost"]
    assert (first.stranded, first.requeued) == (1, 1)
    assert (second.stranded, second.requeued) == (0, 0)  # the marker says a job is on its way


def test_a_bot_run_whose_callback_never_came_is_settled_from_the_control_room() -> None:
    store, jobs, ledger = Stranded(), Jobs(), InMemoryBotDeploymentLedger()
    record = pending("bot")
    store.records = {"bot": record}
    assert ledger.claim("bot", record_content(record)) is None
    ledger.record_deployment("bot", "d-1")
    bots = BotPath(ledger, ControlRoom({"d-1": "COMPLETED"}), BotCallbackService(ledger, store, jobs, jobs))

    report = reconciler(store, jobs, bots).run()

    assert (report.stranded, report.settled, report.requeued) == (1, 1, 0)
    assert store.records["bot"].sync_status is SyncStatus.SYNCED
    assert jobs.sent == []


def test_a_bot_run_still_going_gets_a_job_that_asks_again() -> None:
    store, jobs, ledger = Stranded(), Jobs(), InMemoryBotDeploymentLedger()
    record = pending("bot")
    store.records = {"bot": record}
    assert ledger.claim("bot", record_content(record)) is None
    ledger.record_deployment("bot", "d-1")
    bots = BotPath(ledger, ControlRoom({"d-1": "RUNNING"}), BotCallbackService(ledger, store, jobs, jobs))

    report = reconciler(store, jobs, bots).run()

    assert (report.settled, report.requeued) == (0, 1)
    assert store.records["bot"].sync_status is SyncStatus.PENDING


class ExpiredLookups(InMemoryBotDeploymentLedger):
    """A ledger whose reverse lookups (deployment to conversation) have passed their TTL."""

    def conversation_for(self, deployment_id: str) -> str | None:
        return None


def test_a_bot_run_whose_lookup_entry_expired_gets_a_job_instead() -> None:
    store, jobs, ledger = Stranded(), Jobs(), ExpiredLookups()
    record = pending("bot")
    store.records = {"bot": record}
    assert ledger.claim("bot", record_content(record)) is None
    ledger.record_deployment("bot", "d-1")
    bots = BotPath(ledger, ControlRoom({"d-1": "COMPLETED"}), BotCallbackService(ledger, store, jobs, jobs))

    report = reconciler(store, jobs, bots).run()

    assert (report.settled, report.requeued) == (0, 1)
