"""The reconciler: a record no path carries any more gets one new job, or its bot run settled."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from cxbridge.calls.event import CallEvent, EventKind
from cxbridge.calls.record import CallRecord, SyncStatus, merge
from cxbridge.crm.bot_callback import BotCallbackService
from cxbridge.crm.outcome import record_content
from cxbridge.crm.reconciler import BotPath, Reconciler, RelinkPolicy, worst_case_s
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
    ledger.record_deployment("bot", "d-1", record_content(record))
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
    ledger.record_deployment("bot", "d-1", record_content(record))
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
    ledger.record_deployment("bot", "d-1", record_content(record))
    bots = BotPath(ledger, ControlRoom({"d-1": "COMPLETED"}), BotCallbackService(ledger, store, jobs, jobs))

    report = reconciler(store, jobs, bots).run()

    assert (report.settled, report.requeued) == (0, 1)


# ---- relinking (issue 18): calls synced without their contact link --------------------------------------

RELINK = RelinkPolicy(after_s=3600, max_relinks=2, max_per_run=500)


def synced(store: Stranded, cid: str, *, linked: bool | None, synced_s_ago: float) -> None:
    """A record the worker wrote and marked synced, with or without its contact link."""
    store.records[cid] = pending(cid)
    store.now_ms = int((NOW - synced_s_ago) * 1000)
    store.mark_synced(store.records[cid], f"crm-{cid}", linked)


def relinker(store: Stranded, policy: RelinkPolicy = RELINK, now: float = NOW) -> Reconciler:
    return Reconciler(store, Jobs(), worst_case_s=WORST_CASE_S, relink=policy, clock=lambda: now)


def test_a_call_synced_unlinked_is_reopened_once_its_wait_is_over_and_no_other() -> None:
    store = Stranded()
    synced(store, "unlinked", linked=False, synced_s_ago=3700)
    synced(store, "too-recent", linked=False, synced_s_ago=600)  # a cached "not found" may still answer
    synced(store, "linked", linked=True, synced_s_ago=3700)
    synced(store, "no-linking", linked=None, synced_s_ago=3700)  # written while linking was off
    before = store.records["unlinked"].version

    report = relinker(store).run()

    assert (report.relinked, report.stranded, report.requeued) == (1, 0, 0)
    assert store.records["unlinked"].sync_status is SyncStatus.PENDING  # the stream queues its job
    assert store.records["unlinked"].version == before + 1  # a worker holding the old version cannot mark it
    assert {cid for cid, r in store.records.items() if r.sync_status is SyncStatus.SYNCED} == {
        "too-recent",
        "linked",
        "no-linking",
    }
    assert relinker(store).run().relinked == 0  # pending now: not reopened twice


def test_relinking_stops_after_max_relinks_and_each_pass_takes_at_most_max_per_run() -> None:
    store = Stranded()
    for n in range(5):
        synced(store, f"c{n}", linked=False, synced_s_ago=3700)
    assert relinker(store, replace(RELINK, max_per_run=3)).run().relinked == 3
    assert relinker(store, replace(RELINK, max_per_run=3)).run().relinked == 2  # the rest, next pass
    for attempt in range(3):  # the worker writes them again, still without a link (no match again)
        for cid, record in list(store.records.items()):
            if record.sync_status is SyncStatus.PENDING:
                store.now_ms = int((NOW - 3700) * 1000)
                store.mark_synced(record, f"crm-{cid}", False)
        assert relinker(store).run().relinked == (5 if attempt == 0 else 0)  # 2 relinks each, then no more
    assert set(store.relinks.values()) == {2}


def test_a_call_that_changed_since_it_was_read_is_not_reopened_by_the_relinker() -> None:
    store = Stranded()
    synced(store, "c", linked=False, synced_s_ago=3700)
    (found,) = store.unlinked([store.records["c"].call_date or ""], int(NOW * 1000), 3)
    store.records["c"] = replace(store.records["c"], version=found.version + 1)  # a worker wrote it meanwhile
    assert store.reopen_for_relink(found, 3) is False
    assert store.records["c"].sync_status is SyncStatus.SYNCED


def test_without_a_relink_policy_unlinked_calls_stay_as_they_are() -> None:
    store = Stranded()
    synced(store, "c", linked=False, synced_s_ago=3700)
    assert reconciler(store, Jobs()).run().relinked == 0
    assert store.records["c"].sync_status is SyncStatus.SYNCED
