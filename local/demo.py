"""``make demo``: a day of a contact center through the local stack, then a summary that must add up.

A few hundred calls with realistic dispositions and durations (two of them planted as toil) arrive as
Genesys events, every event at least twice, concurrently and out of order, while the CRM sandbox
throttles part of the time. Each ended call's transcript (PII planted in its phrases, there only a few
seconds after it is first asked for) goes onto its CRM record as a note. Workitems with short SLAs are
created; some close early, the rest walk their escalation ladder. The daily toil report runs at the end.
Exits non-zero if a call is lost or written twice, the report misses a planted candidate, or a CRM record
lacks its transcript, has two, or planted PII shows in a note, a queue message or a log line.

The functions' log lines go to a file (``--log``, default ``.local/demo.log``); the terminal shows only
the progress and the summary.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import boto3

from cxbridge.calls.event import CallEvent, EventKind
from local.run import post
from local.sandboxes.genesys_transcripts import PLANTED_PII
from local.stack import LocalStack
from local.template import ROOT
from local.toil_data import PLANTED, call_events, generate_calls, genesys_id

if TYPE_CHECKING:
    from collections.abc import Callable

    from local.toil_data import SampleCall

ROUTES = {
    "customer.end": "/genesys/conversations/customer-end",
    "user.end": "/genesys/conversations/user-end",
    "acw": "/genesys/conversations/acw",
    "call.completed": "/genesys/conversations/call-completed",
}
WORKTYPE = "address-change"  # a two-step ladder: warn at 50 %, supervisor workbin at 100 %
WORKTYPES = json.loads((ROOT / "layers/cxbridge/cxbridge/workitems/worktypes.json").read_text())
CONTACT = {"ani": "tel:+13175550142", "dnis": "tel:+18005550199", "addressFrom": "tel:+13175550142"}


def genesys_body(event: CallEvent) -> tuple[str, dict[str, Any]]:
    """The route and the body Genesys would send for one of a generated call's events."""
    if event.kind == "call.completed":
        return ROUTES["call.completed"], {
            "eventType": "Call.Completed",
            "callId": event.conversation_id,
            "conversationId": event.conversation_id,
            "timestamp": event.event_time,
            "userId": event.user_id,
            "data": {
                "duration": (event.duration_ms or 0) / 1000,
                "status": "Completed",
                "disposition": event.disposition_name,
            },
        }
    body: dict[str, Any] = {
        "eventTime": event.event_time,
        "conversationId": event.conversation_id,
        "participantId": event.participant_id,
        "mediaType": event.media_type,
        "direction": event.direction,
        "userId": event.user_id,
        "queueId": event.queue_id,
        **CONTACT,
    }
    if event.kind == "acw":
        body |= {"wrapupCode": event.wrapup_code_id, "wrapupDurationMs": event.acw_ms, "wrapupNotes": "customer asked"}
    elif event.kind == "customer.end":
        body |= {"interactingDurationMs": event.talk_ms, "disconnectType": "ENDPOINT"}
    else:
        body |= {"interactingDurationMs": event.talk_ms, "heldDurationMs": event.held_ms, "disconnectType": "PEER"}
    return ROUTES[str(event.kind)], {k: v for k, v in body.items() if v is not None}


def demo_events(call: SampleCall) -> list[CallEvent]:
    """A call's events, and for a Genesys call the customer's end, which ends it (and asks for its transcript)."""
    events = call_events(call)
    if events[0].kind == EventKind.CALL_COMPLETED:
        return events  # the webhook's completion ends the call
    customer_end = CallEvent(
        EventKind.CUSTOMER_END,
        call.conversation_id,
        genesys_id("participant-customer"),
        events[0].event_time,
        media_type="VOICE",
        direction="INBOUND",
        talk_ms=call.talk_ms,
    )
    return [customer_end, *events]


# EventBridge retries a target that fails (185 times over 24 h by default); a few, sooner, do here.
DELIVERY_RETRIES = 8


class Credentials:
    """A caller's ``Authorization`` header, renewed when the API answers 401, as an EventBridge
    connection renews its OAuth token: a run that outlasts a token (an hour) is still let in."""

    def __init__(self, issue: Callable[[], str]) -> None:
        self._issue = issue
        self._lock = threading.Lock()
        self._header = issue()

    def header(self) -> str:
        return self._header

    def renew(self, rejected: str) -> None:
        """A new header, unless another thread already replaced ``rejected``."""
        with self._lock:
            if self._header == rejected:
                self._header = self._issue()


def deliver(base_url: str, credentials: Credentials, path: str, body: bytes) -> tuple[dict[str, Any], int]:
    """POST an event as EventBridge delivers it: a 429, a 5xx (an ingest that timed out on a loaded
    laptop answers 502) or no answer at all (a socket timeout, a reset) is sent again after an
    exponential, jittered backoff; a 401 is sent again at once with a renewed token. The ingest is
    idempotent, so a second copy is safe. The answer, and how many retries it took."""
    for attempt in range(DELIVERY_RETRIES):
        authorization = credentials.header()
        try:
            return post(base_url, authorization, path, body), attempt
        except HTTPError as exc:
            if exc.code == 401:
                credentials.renew(authorization)
                continue
            if exc.code != 429 and exc.code < 500:
                raise
        except OSError:  # URLError, TimeoutError, ConnectionResetError: the event may not have arrived
            pass
        time.sleep(min(8.0, 0.25 * 2**attempt) * random.random())  # noqa: S311 - jitter, not a secret
    return post(base_url, credentials.header(), path, body), DELIVERY_RETRIES


def send_calls(stack: LocalStack, calls: list[SampleCall], copies: int, rnd: random.Random) -> dict[str, int]:
    """Post every event ``copies`` times, shuffled, from several threads; count the answers, and the
    deliveries a failed ingest made EventBridge retry (``retried``)."""
    base = f"http://{stack.host}:{stack.port}"
    posts = [genesys_body(e) for call in calls for e in demo_events(call)] * copies
    rnd.shuffle(posts)
    genesys = Credentials(lambda: stack.bearer("genesys"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda p: deliver(base, genesys, p[0], json.dumps(p[1]).encode()), posts))
    counts = {"events": len(posts), "retried": sum(retries for _, retries in answers)}
    for answer, _ in answers:
        counts[answer["outcome"]] = counts.get(answer["outcome"], 0) + 1
    return counts


def wait_for(condition: Callable[[], bool], timeout_s: float, interval_s: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval_s)
    return condition()


def crm_sync(stack: LocalStack, expected: set[str], timeout_s: float) -> dict[str, Any]:
    """Wait until every expected call is in the CRM or dead-lettered; report what happened."""

    def settled() -> bool:
        queues = stack.state()["queues"]
        crm_sync_queue = queues["CrmSyncQueue"]
        pending: int = crm_sync_queue["Messages"] + crm_sync_queue["MessagesNotVisible"]
        return pending == 0

    wait_for(settled, timeout_s)
    rows = stack.crm_rows()
    dead_letters = stack.dead_letters("CrmSyncDeadLetterQueue")
    dead_ids = {_conversation_of(d["body"]) for d in dead_letters}
    missing = expected - set(rows) - dead_ids
    return {
        "crm_records": len(rows),
        "crm_ids_unique": len(set(rows.values())) == len(rows),
        "crm_requests": stack.crm_write_requests(),
        "dead_letters": len(dead_letters),
        "dead_letter_calls": len(dead_ids),
        "dead_letter_reasons": sorted({d["reason"] for d in dead_letters}),
        # a dead letter for a call that a racing copy of its job then wrote: in the CRM once, nothing lost
        "dead_letters_already_written": len(dead_ids & set(rows)),
        "lost": len(missing),
        "lost_ids": sorted(missing)[:20],
        "unexpected": len(set(rows) - expected),
    }


def _conversation_of(body: str) -> str:
    """The conversation id of a dead-lettered CRM-sync job (its body is the job's JSON)."""
    try:
        return str(json.loads(body)["conversationId"])
    except (ValueError, KeyError, TypeError):
        return body


def contact_links(stack: LocalStack, callers: dict[str, str]) -> dict[str, Any]:
    """How many CRM records carry their customer's contact, and that none carries a wrong one: a call of a
    customer the CRM knows links that contact, every other call (an unknown number, no customer) none."""
    contacts, links, rows = stack.contact_ids(), stack.crm_links(), stack.crm_rows()
    expected = {cid: contacts[number] for cid, number in callers.items() if number in contacts and cid in rows}
    return {
        "calls_linked": sum(links.get(cid) == contact for cid, contact in expected.items()),
        "calls_of_known_customers": len(expected),
        "wrong_links": sum(links[cid] != expected.get(cid) for cid in links),
    }


def relink(stack: LocalStack, callers: dict[str, str], expected: set[str], timeout_s: float) -> dict[str, Any]:
    """Run the reconciler (as its schedule would) once the CRM answers normally: calls written without their
    link while it throttled are reopened and written again with it; count the links after."""
    linked_at_sync = contact_links(stack, callers)["calls_linked"]
    reopened = stack.run_schedule("CrmReconcilerFunction")["relinked"]
    # The reopened calls reach the queue through the stream: wait until none is pending, not for an empty queue.
    wait_for(lambda: not _pending_calls(stack), timeout_s)
    crm_sync(stack, expected, timeout_s)
    return {"calls_linked_at_sync": linked_at_sync, "calls_reopened_to_link": reopened, **contact_links(stack, callers)}


def _pending_calls(stack: LocalStack) -> int:
    """Call records whose outcome is not yet settled (``pending``)."""
    dynamodb = boto3.client("dynamodb")
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=stack.resources.tables["CallRecordsTable"],
        FilterExpression="syncStatus = :pending",
        ExpressionAttributeValues={":pending": {"S": "pending"}},
        Select="COUNT",
    )
    return sum(page["Count"] for page in pages)


TRANSCRIPT_QUEUES = ("TranscriptQueue", "TranscriptDeadLetterQueue", "CrmSyncDeadLetterQueue", "IngestDeadLetterQueue")


def _pii_patterns() -> list[re.Pattern[str]]:
    """Each planted value as written, and its digits alone (a masker that kept the digits would leak them)."""
    patterns = []
    for value in PLANTED_PII:
        patterns.append(re.compile(re.escape(value), re.IGNORECASE))
        digits = "".join(c for c in value if c.isdigit())
        if digits:
            patterns.append(re.compile(rf"(?<!\d){digits}(?!\d)"))
    return patterns


def transcripts(stack: LocalStack, log: Path, timeout_s: float) -> dict[str, Any]:
    """Wait until every transcript job is done; count notes, late ones, duplicates and planted PII anywhere."""

    def settled() -> bool:
        queue = stack.state()["queues"]["TranscriptQueue"]
        return bool(queue["Messages"] + queue["MessagesNotVisible"] == 0)

    wait_for(settled, timeout_s)
    crm = stack.crm.state()["records"]
    notes = list(crm.get("ContentNote", {}).values())
    links = list(crm.get("ContentDocumentLink", {}).values())
    linked = Counter(link["LinkedEntityId"] for link in links)
    titles = Counter(note["Title"] for note in notes)
    texts = [base64.b64decode(note["Content"]).decode() for note in notes]
    texts += [json.dumps(record) for record in crm.get("Call_Log__c", {}).values()]
    texts += [json.dumps(m) for q in TRANSCRIPT_QUEUES for m in stack.dead_letters(q)]
    texts.append(log.read_text(encoding="utf-8"))  # every function's log lines (each process writes here)
    leaks = sum(len(p.findall(text)) for p in _pii_patterns() for text in texts)
    served = stack.genesys.transcripts.state()
    return {
        "transcripts_attached": len(linked),
        "transcripts_late": served["transcripts_late"],
        "transcript_pii_leaks": leaks,
        "transcript_duplicates": sum(n - 1 for n in linked.values()) + sum(n - 1 for n in titles.values()),
    }


class _SourceSystem:
    """A source system's callback receiver: counts the outcomes cxbridge syncs back on close."""

    def __init__(self) -> None:
        self.outcomes: list[dict[str, Any]] = []
        outcomes = self.outcomes

        class Receiver(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outcomes.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/outcome"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()


def workitems(stack: LocalStack, count: int, sla_s: int, close_early: int, timeout_s: float) -> dict[str, Any]:
    """Create workitems with a short SLA; close some before their first step; let the rest escalate."""
    base = f"http://{stack.host}:{stack.port}"
    source = _SourceSystem()
    caller = stack.bearer("source-crm")
    ids: list[str] = []
    for n in range(count):
        body = {
            "sourceId": f"case-{n:04d}",
            "worktype": WORKTYPE,
            "name": f"Address change for customer {n}",
            "sla": {"durationSeconds": sla_s},
            "callbackUrl": source.url,
        }
        ids.append(post(base, caller, "/workitems", json.dumps(body).encode())["id"])
    completed = WORKTYPES["worktypes"][WORKTYPE]["statuses"]["completed"]
    for workitem_id in ids[:close_early]:  # an agent finishes these long before the first ladder step
        genesys_id = get(base, caller, f"/workitems/{workitem_id}")["genesysWorkitemId"]
        stack.genesys.tasks.agent_update(genesys_id, statusId=completed)
        event = stack.genesys.tasks.topic_event(genesys_id)
        post(base, stack.bearer("genesys"), "/genesys/workitems", json.dumps(event).encode())
    last_step = len(WORKTYPES["worktypes"][WORKTYPE]["escalation"]["steps"]) - 1

    def views() -> list[dict[str, Any]]:
        return [get(base, caller, f"/workitems/{i}") for i in ids]

    def finished() -> bool:
        return all(v["status"] == "Closed" or v["escalationStep"] >= last_step for v in views())

    wait_for(finished, timeout_s, interval_s=1.0)
    wait_for(lambda: len(source.outcomes) >= close_early, 30)
    source.close()
    final = views()
    early = final[:close_early]
    late = final[close_early:]
    return {
        "created": count,
        "closed_early": close_early,
        "closed_early_without_escalation": sum(v["escalationStep"] == -1 for v in early),
        "walked_whole_ladder": sum(v["escalationStep"] == last_step for v in late),
        "escalation_steps_run": sum(v["escalationStep"] + 1 for v in final),
        "outcomes_synced_back": len(source.outcomes),
        "supervisor_notices": sum(v["escalationStep"] == last_step for v in final),
    }


def get(base_url: str, authorization: str, path: str) -> dict[str, Any]:
    request = Request(base_url + path, headers={"Authorization": authorization})  # noqa: S310 - 127.0.0.1 only
    with urlopen(request, timeout=30) as resp:  # noqa: S310
        answer: dict[str, Any] = json.loads(resp.read())
        return answer


def toil(stack: LocalStack, day: date) -> dict[str, Any]:
    """Run the daily toil report (as its schedule would, the morning after ``day``)."""
    result = stack.run_schedule(
        "ToilDailyFunction", datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
    )
    return {"report_date": result["reportDate"], "calls": result["totalCalls"], "candidates": result["candidates"]}


def logs_to(path: Path) -> TextIO:
    """Send everything written to stdout and stderr (the functions' log lines, the servers') to ``path``;
    answer a stream on the terminal for the progress and the summary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    terminal = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    with path.open("w", encoding="utf-8") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
    return terminal


def link_problems(summary: dict[str, Any]) -> list[str]:
    """What does not add up in the contact links (issue 18)."""
    problems = []
    if summary["wrong_links"]:
        problems.append("a CRM record links a contact that is not its caller's")
    if summary["calls_linked"] < summary["calls_of_known_customers"]:
        problems.append("a call of a customer the CRM knows is still unlinked after the reconciler's relink")
    return problems


def problems_of(summary: dict[str, Any], with_disposition: int) -> list[str]:
    """What does not add up in a run's summary (empty: the run is consistent)."""
    planted = {d.name for d in PLANTED if d.share > 0.15 and d.aht_s > 300 and d.name}
    candidates, work = set(summary["toil"]["candidates"]), summary["workitems"]
    problems = []
    if summary["lost"] or summary["unexpected"] or not summary["crm_ids_unique"]:
        problems.append("a call was lost or written twice")
    accounted = summary["crm_records"] + summary["dead_letter_calls"] - summary["dead_letters_already_written"]
    if accounted != with_disposition:
        problems.append("CRM records and dead letters do not add up to the calls with a disposition")
    if not planted <= candidates:
        problems.append(f"the toil report missed a planted candidate: {sorted(planted - candidates)}")
    problems += link_problems(summary)
    if summary["transcripts_attached"] != summary["crm_records"]:
        problems.append("a call in the CRM did not get its transcript")
    if summary["transcript_pii_leaks"] or summary["transcript_duplicates"]:
        problems.append("planted PII left a transcript unmasked, or a call got two transcript notes")
    if not summary["transcripts_late"]:
        problems.append("no transcript was waited for (the delay path did not run)")
    if work["closed_early_without_escalation"] != work["closed_early"]:
        problems.append("a workitem closed early was escalated")
    if work["walked_whole_ladder"] != work["created"] - work["closed_early"]:
        problems.append("a workitem left open did not walk its whole escalation ladder")
    if work["outcomes_synced_back"] < work["closed_early"]:
        problems.append("a closed workitem's outcome was not synced back to its source system")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--copies", type=int, default=2, help="deliveries of every event (at least 2)")
    parser.add_argument("--throttle", type=float, default=0.3, help="share of CRM requests throttled")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--workitems", type=int, default=6)
    parser.add_argument("--sla", type=int, default=20, help="seconds of each workitem's SLA")
    parser.add_argument("--transcript-delay", type=float, default=3, help="seconds until Genesys has a transcript")
    parser.add_argument("--log", type=Path, default=ROOT / ".local" / "demo.log", help="where the log lines go")
    args = parser.parse_args(argv)
    out = logs_to(args.log)

    def say(line: str) -> None:
        print(line, file=out)

    say(f"logs: {args.log}")
    rnd = random.Random(args.seed)  # noqa: S311 - a reproducible shuffle, not a secret
    day = datetime.now(UTC).date() - timedelta(days=1)
    calls = generate_calls([day], args.calls, PLANTED, seed=args.seed)
    with_disposition = {c.conversation_id for c in calls if c.code_id or c.disposition_name}

    # Relink at once (the default waits out the lookup cache's lifetime, an hour): the demo is minutes long.
    stack = LocalStack(port=0, seed=args.seed, env_overrides={"CRM_RELINK_AFTER_S": "0"}).start()
    try:
        callers = stack.assign_customers([c.conversation_id for c in calls], seed=args.seed)
        say(f"local stack up at http://{stack.host}:{stack.port}; {len(calls)} calls, each event x{args.copies}")
        stack.crm.configure(throttle_ratio=args.throttle)
        stack.genesys.configure(transcript_delay_s=args.transcript_delay)
        started = time.monotonic()
        say(f"posting the calls' events (the CRM throttles {args.throttle:.0%} of requests) ...")
        ingest = send_calls(stack, calls, max(2, args.copies), rnd)
        say(f"  {ingest['events']} events posted; waiting for the CRM sync of {len(with_disposition)} calls ...")
        sync = crm_sync(stack, with_disposition, args.timeout)
        stack.crm.configure(throttle_ratio=0.0)
        say(f"  {sync['crm_records']} in the CRM; the transcripts ...")
        notes = transcripts(stack, args.log, args.timeout)
        say(f"  {notes['transcripts_attached']} transcripts attached; the reconciler relinks unlinked calls ...")
        links = relink(stack, callers, with_disposition, args.timeout)
        say(f"  {links['calls_linked']} of {links['calls_of_known_customers']} known callers linked; workitems ...")
        work = workitems(stack, args.workitems, args.sla, args.workitems // 2, args.timeout)
        say("  workitems done; the toil report ...")
        report = toil(stack, day)
        summary = {
            "calls": len(calls),
            "calls_with_disposition": len(with_disposition),
            "events_posted": ingest["events"],
            "events_applied": ingest.get("applied", 0),
            "duplicates_suppressed": ingest.get("duplicate", 0),
            "stale_events": ingest.get("stale", 0),
            **sync,
            **links,
            "crm_retries": sync["crm_requests"] - -(-len(with_disposition) // 200),
            **notes,
            "workitems": work,
            "toil": report,
            "seconds": round(time.monotonic() - started, 1),
        }
    finally:
        stack.stop()
    say(json.dumps(summary, indent=2))
    problems = problems_of(summary, len(with_disposition))
    for problem in problems:
        say(f"INCONSISTENT: {problem} (logs: {args.log})")
    if not problems:
        say("consistent: every call with a disposition is in the CRM once (or dead-lettered with a reason)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
