"""``make faults``: the reliability run. Calls through the local stack while everything around it misbehaves.

Two phases, one per kind of sink. An API sink (Salesforce, or Dataverse with ``--sink dynamics``): the
CRM sandbox throttles 30 % of requests, fails 10 % with a 5xx, times out 5 % and expires its tokens.
Automation Anywhere: the Control Room throttles and fails some deploys and loses some answers, and the
bots' callbacks are lost for a share of the runs.
In both, every event is delivered three times, concurrently and out of order, and these faults are
injected and counted:

- ``worker_timeouts``: a worker invocation gets only seconds of its timeout, so its batch is cut short;
- ``callbacks_lost``: a bot run completes without calling back (Automation Anywhere);
- ``dispositions_changed``: a call's wrap-up changes after its outcome was sent;
- ``stream_retries_exhausted``: the outbox fails on some calls' stream records until Lambda gives up
  and writes the batch's metadata to the ingest dead-letter queue;
- ``reconciler_runs``: the reconciler runs on a short schedule, with a short worst case.

Afterwards every conversation with a disposition must be in the CRM, holding the record's newest
disposition, or in the dead-letter queue with a reason. The last line printed is one JSON object with
``calls``, ``in_crm``, ``dead_lettered``, ``lost``, ``duplicated``, ``stale`` (the CRM holds an older
disposition than the record), ``stranded`` (not final, nothing carrying it) and ``faults`` (the count of
each kind injected); the exit status is non-zero unless the four must-be-zero counts are 0.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import threading
import time
import traceback
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3

from cxbridge.calls.record import SyncStatus
from cxbridge.calls.store import DynamoSyncStatusStore
from local.demo import genesys_body, send_calls, wait_for
from local.lambda_context import LocalContext
from local.run import post
from local.sandboxes.automation_anywhere import WORKITEM_FAILURE
from local.stack import DYNAMICS_MAPPING, AaMode, CrmSinkName, LocalStack
from local.toil_data import PLANTED, call_events, generate_calls

if TYPE_CHECKING:
    from local.toil_data import SampleCall

FAULTS = ("worker_timeouts", "callbacks_lost", "dispositions_changed", "stream_retries_exhausted", "reconciler_runs")
MUST_BE_ZERO = ("lost", "duplicated", "stale", "stranded")
# Short waits on a laptop: a request times out in 1 s, the backoff caps at 2 s, a bot run's budget is
# 10 s, so the reconciler takes a record as stranded after 10 x 2 + 10 = 30 s untouched.
ENV = {"HTTP_TIMEOUT_S": "1", "CRM_BACKOFF_CAP_S": "2", "CRM_BOT_RUN_BUDGET_S": "10"}
RECONCILER_EVERY_S = 5.0
SHORT_WORKER_MS = 2_500  # under one request timeout plus the settle reserve: the batch is cut short
CODES = [d.code_id for d in PLANTED if d.code_id and not d.code_id.startswith("ININ-")]


@dataclass
class Injected:
    """Fault counts, shared by the threads that inject them."""

    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, n: int = 1) -> None:
        with self.lock:
            self.counts[kind] += n


@dataclass
class Phase:
    """One sink's run: the stack, its calls and what the fault threads did."""

    sink: str
    stack: LocalStack
    calls: list[SampleCall]
    rnd: random.Random
    injected: Injected = field(default_factory=Injected)
    completed: list[dict[str, Any]] = field(default_factory=list)  # bot runs in completion order
    stopping: threading.Event = field(default_factory=threading.Event)


def _short_worker_contexts(phase: Phase) -> None:
    rnd, lock = random.Random(phase.rnd.random()), threading.Lock()  # noqa: S311 - reproducible, not a secret

    def context_for(name: str, timeout_ms: int) -> LocalContext:
        with lock:
            short = rnd.random() < 0.2
        if short:
            phase.injected.add("worker_timeouts")
        return LocalContext(function_name=name, timeout_ms=SHORT_WORKER_MS if short else timeout_ms)

    phase.stack.context_for = context_for


def _failing_outbox(phase: Phase, doomed: set[str]) -> None:
    """The outbox fails, every time, on the pending records of ``doomed`` calls (retries run out)."""
    invoke = phase.stack.invoke

    def conversation(record: dict[str, Any]) -> str:
        return str(record.get("dynamodb", {}).get("Keys", {}).get("conversationId", {}).get("S"))

    def invoke_with_faults(logical_id: str, event: dict[str, Any]) -> Any:
        if logical_id != "CrmJobOutboxFunction":
            return invoke(logical_id, event)
        failing = [r for r in event["Records"] if conversation(r) in doomed]
        rest = [r for r in event["Records"] if r not in failing]
        result = invoke(logical_id, {**event, "Records": rest}) if rest else {"batchItemFailures": []}
        result["batchItemFailures"] += [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in failing]
        return result

    phase.stack.invoke = invoke_with_faults  # type: ignore[method-assign]


def _bot_runner(phase: Phase) -> None:
    """The Control Room's bots: each deployed run completes; a fifth of the outcome runs never call back.
    A transcript run asks for no callback: it just completes."""
    room = phase.stack.control_room
    if room is None:
        return
    while not phase.stopping.wait(0.3):
        deployed = []
        with room.lock:
            for deployment_id, run in room.deployments.items():
                if run["status"] != "DEPLOYED":
                    continue
                if run.get("callbackInfo"):
                    deployed.append(deployment_id)
                else:  # a transcript run: nothing to call back
                    run.update(status="COMPLETED", progress=100)
        for deployment_id in deployed:
            with room.lock:
                run = room.deployments[deployment_id]
                inputs = {k: v.get("string") for k, v in run["botInput"].items()}
            phase.completed.append(inputs)
            if phase.rnd.random() < 0.2:
                with room.lock:
                    run.update(status="COMPLETED", progress=100)
                phase.injected.add("callbacks_lost")
            else:
                room.complete(deployment_id)


def _queue_bot(phase: Phase) -> None:
    """The WLM queue's bot (the work-queue mode): each new item completes, a tenth fail first (the bot's
    reason ``sandbox.bot.failed``: retried with a new item); a fifth of results never call back."""
    room = phase.stack.control_room
    if room is None:
        return
    while not phase.stopping.wait(0.3):
        with room.lock:
            new = [(q, i["id"]) for q, items in room.queues.items() for i in items.values() if i["status"] == "NEW"]
        for queue_id, item_id in new:
            failed = phase.rnd.random() < 0.1
            status = "FAILED" if failed else "COMPLETED"
            if not failed:
                with room.lock:
                    phase.completed.append(dict(room.queues[queue_id][item_id]["json"]))
            if phase.rnd.random() < 0.2:
                with room.lock:
                    room.queues[queue_id][item_id].update(status=status, result=WORKITEM_FAILURE if failed else "ok")
                phase.injected.add("callbacks_lost")
            else:
                room.end_workitem(queue_id, item_id, status, WORKITEM_FAILURE if failed else "ok")


def _reconciler(phase: Phase) -> None:
    """The reconciler every 5 s, or four times as long as its last pass took: each pass reads the whole
    day's index, which moto answers in time that grows with the records, and at 10,000 calls passes every
    5 s held the stack's one process for half its time (in AWS the schedule is every 10 minutes)."""
    wait_s = RECONCILER_EVERY_S
    while not phase.stopping.wait(wait_s):
        started = time.monotonic()
        phase.stack.run_schedule("CrmReconcilerFunction")
        phase.injected.add("reconciler_runs")
        wait_s = max(RECONCILER_EVERY_S, 4 * (time.monotonic() - started))


def _change_dispositions(phase: Phase) -> None:
    """Once outcomes are being sent, a tenth of the wrapped-up calls get a new wrap-up code."""
    wrapped = [c for c in phase.calls if c.code_id and not c.code_id.startswith("ININ-")]
    chosen = phase.rnd.sample(wrapped, max(1, len(wrapped) // 10))
    base = f"http://{phase.stack.host}:{phase.stack.port}"
    for call in chosen:
        acw = call_events(call)[-1]
        new_code = next(code for code in CODES if code != call.code_id)
        changed = replace(acw, event_time=acw.event_time + 60_000, wrapup_code_id=new_code)
        path, body = genesys_body(changed)
        post(base, phase.stack.bearer("genesys"), path, json.dumps(body).encode())
        phase.injected.add("dispositions_changed")


def _records(stack: LocalStack) -> dict[str, dict[str, Any]]:
    dynamodb = boto3.client("dynamodb")
    items: dict[str, dict[str, Any]] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=stack.resources.tables["CallRecordsTable"]):
        for item in page["Items"]:
            items[item["conversationId"]["S"]] = item
    return items


def _disposition(item: dict[str, Any]) -> str | None:
    """What the CRM should hold for a record: its wrap-up code, else the webhook's disposition name."""
    for name in ("wrapupCodeId", "dispositionName"):
        if name in item:
            return str(item[name]["S"])
    return None


def _crm_view(phase: Phase) -> tuple[dict[str, str | None], int]:
    """Per conversation, the disposition the CRM holds now; and how many writes were duplicates."""
    if phase.sink == "salesforce":
        rows = phase.stack.crm.state()["records"].get("Call_Log__c", {})
        held = {cid: row.get("Wrapup_Code__c") or row.get("Disposition__c") for cid, row in rows.items()}
        return held, len(rows) - len({row["Id"] for row in rows.values()})
    if phase.sink == "dynamics":
        table = phase.stack.crm.state()["rows"].get(DYNAMICS_MAPPING["entity_set"], {})
        by_call = {key.partition("=")[2].strip("'"): row for key, row in table.items()}
        held = {cid: row.get("cxb_wrapupcode") or row.get("cxb_disposition") for cid, row in by_call.items()}
        return held, len(by_call) - len({row["id"] for row in by_call.values()})
    held, runs = {}, Counter[tuple[str, str | None]]()
    for inputs in phase.completed:  # a bot writes what it was given; the last run to complete wins
        cid = str(inputs.get("sConversationId"))
        held[cid] = inputs.get("sWrapupCode") or inputs.get("sDisposition")
        runs[(cid, inputs.get("sContent"))] += 1
    return held, sum(n - 1 for n in runs.values())


def _pending(stack: LocalStack, ids: set[str]) -> set[str]:
    """Which of ``ids`` are still pending, read by key as the worker reads them: a scan makes moto copy
    the whole table for every page, and at 10,000 calls the scans every 2 s starved the reconciler."""
    store = DynamoSyncStatusStore(boto3.client("dynamodb"), stack.resources.tables["CallRecordsTable"])
    return {cid for cid, record in store.current(sorted(ids)).items() if record.sync_status is SyncStatus.PENDING}


def _settled(phase: Phase, expected: set[str], unsettled: set[str]) -> bool:
    """No job in the queue and none of ``expected`` pending. Each check reads only ``unsettled``, which
    shrinks in place as records turn final; once it is empty every record is read again, because the
    reconciler can reopen a synced record (a missing contact link) after the harness saw it final."""
    queue = phase.stack.state()["queues"]["CrmSyncQueue"]
    if queue["Messages"] + queue["MessagesNotVisible"]:
        return False
    unsettled.intersection_update(_pending(phase.stack, unsettled))
    if not unsettled:
        unsettled.update(_pending(phase.stack, expected))
    return not unsettled


def run_phase(
    sink: CrmSinkName, calls: int, copies: int, seed: int, timeout_s: float, *, aa_mode: AaMode = "deploy"
) -> dict[str, Any]:
    """One sink's figures (Automation Anywhere in ``aa_mode``)."""
    rnd = random.Random(seed)  # noqa: S311 - a reproducible shuffle, not a secret
    day = datetime.now(UTC).date() - timedelta(days=1)
    generated = generate_calls([day], calls, PLANTED, seed=seed)
    expected = {c.conversation_id for c in generated if c.code_id or c.disposition_name}
    doomed = set(rnd.sample(sorted(expected), max(1, len(expected) // 20)))
    # Batches of 10 instead of 200: many more requests, so every kind of fault is drawn often.
    stack = LocalStack(port=0, seed=seed, sqs_batch_size=10, crm_sink=sink, aa_mode=aa_mode, env_overrides=ENV)
    stack.start()
    phase = Phase(sink, stack, generated, rnd)
    try:
        stack.crm.configure(throttle_ratio=0.30, fail_ratio=0.10, timeout_ratio=0.05, hang_s=1.5, expire_tokens_after=5)
        if stack.control_room is not None:
            stack.control_room.configure(throttle_ratio=0.10, fail_ratio=0.05, timeout_ratio=0.05, hang_s=1.5)
        _short_worker_contexts(phase)
        _failing_outbox(phase, doomed)
        with ThreadPoolExecutor(max_workers=2) as background:
            background.submit(_queue_bot if stack.aa_mode == "workqueue" else _bot_runner, phase)
            background.submit(_reconciler, phase)
            try:
                ingest = send_calls(stack, generated, copies, rnd)
                wait_for(lambda: bool(_crm_view(phase)[0]), timeout_s)  # outcomes are being sent
                _change_dispositions(phase)
                unsettled = set(expected)
                wait_for(lambda: _settled(phase, expected, unsettled), timeout_s, interval_s=2.0)
            finally:  # the background threads stop before the pool waits for them, whatever happened
                phase.stopping.set()
        stream_failures = [d for d in stack.dead_letters("IngestDeadLetterQueue") if "DDBStreamBatchInfo" in d["body"]]
        phase.injected.add("stream_retries_exhausted", len(stream_failures))
        return _figures(phase, expected, ingest)
    finally:
        phase.stopping.set()
        stack.stop()


def _figures(phase: Phase, expected: set[str], ingest: dict[str, int]) -> dict[str, Any]:
    records = _records(phase.stack)
    held, duplicated = _crm_view(phase)
    dead = {json.loads(d["body"]).get("conversationId") for d in phase.stack.dead_letters("CrmSyncDeadLetterQueue")}
    in_crm = {cid for cid in expected if cid in held}
    dead_lettered = {cid for cid in expected - in_crm if cid in dead}
    stale = {cid for cid in in_crm - dead if held[cid] != _disposition(records[cid])}
    stranded = {cid for cid in expected if records.get(cid, {}).get("syncStatus", {}).get("S") == "pending"}
    lost = expected - in_crm - dead_lettered
    return {
        "calls": len(phase.calls),
        "calls_with_disposition": len(expected),
        "events_posted": ingest["events"],
        "events_applied": ingest.get("applied", 0),
        "duplicates_suppressed": ingest.get("duplicate", 0),
        "deliveries_retried": ingest["retried"],
        "in_crm": len(in_crm),
        "dead_lettered": len(dead_lettered),
        "lost": len(lost),
        "duplicated": duplicated,
        "stale": len(stale),
        "stranded": len(stranded),
        "faults": {kind: phase.injected.counts[kind] for kind in FAULTS},
        "examples": [_example(cid, records.get(cid, {}), held) for cid in sorted(lost | stale | stranded)[:10]],
        "duplicate_runs": _duplicate_runs(phase)[:10],
    }


def _duplicate_runs(phase: Phase) -> list[dict[str, Any]]:
    """Each conversation a bot wrote twice with the same content, with all its runs in the order they were
    created: what a duplicate needs to be traced."""
    room = phase.stack.control_room
    if room is None:
        return []
    by_call: dict[str, list[dict[str, Any]]] = {}
    with room.lock:
        for run in room.deployments.values():
            if not run.get("callbackInfo"):
                continue  # a transcript run
            inputs = {k: v.get("string") for k, v in run["botInput"].items()}
            summary = {"deploymentId": run["deploymentId"], "createdOn": run["createdOn"], "status": run["status"]}
            by_call.setdefault(str(inputs.get("sConversationId")), []).append(
                {**summary, "content": str(inputs.get("sContent"))[:12]}
            )
    twice = [(cid, runs) for cid, runs in by_call.items() if len({r["content"] for r in runs}) < len(runs)]
    return [{"conversationId": cid, "runs": sorted(runs, key=lambda r: r["createdOn"])} for cid, runs in twice]


def _example(cid: str, record: dict[str, Any], held: dict[str, str | None]) -> dict[str, Any]:
    """What a run that went wrong needs to be read: the record's state beside what the CRM holds."""
    names = ("syncStatus", "version", "lastEventTime", "syncError", "requeuedAt")
    state = {name: next(iter(record[name].values())) for name in names if name in record}
    return {"conversationId": cid, "record": _disposition(record), "crm": held.get(cid, "-"), **state}


def _run_phase_in_process(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """``run_phase`` for the process pool: a failure comes back as its traceback's text, since the
    exception itself may not pickle (an ``HTTPError`` holds its open response) and would hide the cause."""
    try:
        return run_phase(*args, **kwargs)
    except Exception:  # noqa: BLE001 - whatever ended the phase, the run reports it
        raise RuntimeError(traceback.format_exc()) from None


def run(
    calls: int,
    copies: int,
    seed: int,
    timeout_s: float,
    sink: CrmSinkName = "salesforce",
    *,
    aa_mode: AaMode = "deploy",
    only: str | None = None,
) -> dict[str, Any]:
    """Both phases' figures, summed: the API ``sink``'s, and Automation Anywhere's (in ``aa_mode``) with a
    third of the calls; ``only="api"`` or ``only="bot"`` runs one of them.

    Each phase's stack is held to one core by Python's lock, so the phases run side by side, each in a
    process of its own: a run takes as long as its longer phase, not the sum."""
    started = time.monotonic()
    aa_calls = max(10, calls // 3)
    jobs: dict[CrmSinkName, tuple[int, int, AaMode]] = {}  # sink: calls, seed, mode
    if only != "bot":
        jobs[sink] = (calls, seed, "deploy")
    if only != "api":
        jobs["automation_anywhere"] = (aa_calls, seed + 1, aa_mode)
    # spawn: each phase starts from a clean interpreter, not from a copy of this one.
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {
            name: pool.submit(_run_phase_in_process, name, n, copies, phase_seed, timeout_s, aa_mode=mode)
            for name, (n, phase_seed, mode) in jobs.items()
        }
        phases = {name: future.result() for name, future in futures.items()}
    summed = ("calls", "in_crm", "dead_lettered", *MUST_BE_ZERO)
    total: dict[str, Any] = {key: sum(p[key] for p in phases.values()) for key in summed}
    total["faults"] = {kind: sum(p["faults"][kind] for p in phases.values()) for kind in FAULTS}
    total["seconds"] = round(time.monotonic() - started, 1)
    total["phases"] = phases
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--sink", choices=["salesforce", "dynamics"], default="salesforce", help="the API sink's phase")
    parser.add_argument("--aa-mode", choices=["deploy", "workqueue"], default="deploy", help="the bot phase's mode")
    parser.add_argument("--only", choices=["api", "bot"], help="run one phase: the API sink's or the bot's")
    args = parser.parse_args(argv)
    figures = run(args.calls, args.copies, args.seed, args.timeout, args.sink, aa_mode=args.aa_mode, only=args.only)
    ok = all(figures[key] == 0 for key in MUST_BE_ZERO)
    print("every outcome in the CRM, current, or in a dead letter" if ok else "INCONSISTENT: see the figures")
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
