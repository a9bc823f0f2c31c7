"""Call outcomes as work items in an Automation Anywhere WLM queue: many per request (issue 16).

The bots of the queue's device pool take the items at the Control Room's own pace, instead of one
deployment per call crowding the unattended runners. WLM documents no idempotency key either, so each
call version is claimed in the bot ledger (a DynamoDB conditional write) before its item is added, and
the item's id is stored after: a redelivered job finds the claim and adds nothing. Results come back by
the bot's callback (``/bots/callback``) or by listing the queue's items (``run_status``, the
reconciler's path); a failed item is retried with a new item up to ``max_attempts`` for the same
content, then the job goes to the dead-letter queue with the bot's reason.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests

from cxbridge.core.http import (
    DEFAULT_TIMEOUT_S,
    AuthorizedHttp,
    classify,
    json_body,
    log_response,
    parse_retry_after,
    request_not_sent,
    transport_reason,
)
from cxbridge.core.observability import logger
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.crm import callback_token
from cxbridge.crm.automation_anywhere import AMBIGUOUS_STATUSES, CLOCK_SKEW_S
from cxbridge.crm.outcome import RUN_COMPLETED, RUN_FAILED, CrmWriteResult, MappingError, no_deadline, not_sent
from cxbridge.crm.work_queue import (
    add_body,
    added_items,
    bot_reason,
    item_ids,
    parse_ref,
    work_item_json,
    work_item_ref,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cxbridge.core.oauth import TokenCache
    from cxbridge.crm.outcome import CrmOutcome, LedgerEntry
    from cxbridge.crm.ports import BotDeploymentLedger
    from cxbridge.crm.work_queue import WorkQueueMapping

SYSTEM = "automation_anywhere"
AMBIGUOUS = "ambiguous-workitem"
IN_FLIGHT = "workitem-in-flight"
# An older version's item, queued longer than an add takes: still in the queue, or ended unreported?
PREVIOUS = "previous-workitem-unsettled"
# How far back an ambiguous add is looked for: pages of the queue's recent items.
LIST_PAGE = 200
LIST_PAGES = 10


class AutomationAnywhereWorkQueueSink:
    """Adds one work item per call to a WLM queue, ``mapping.batch_size`` items a request."""

    def __init__(
        self,
        mapping: WorkQueueMapping,
        control_room_url: str,
        tokens: TokenCache,
        ledger: BotDeploymentLedger,
        *,
        callback_key: bytes | None = None,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        in_flight_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``callback_key`` signs each item's callback token (``callback_token``); ``in_flight_s`` as in
        the deploy mode: how long a claim without an item id is taken for an add still under way."""
        self.mapping = mapping
        self.max_batch = mapping.batch_size
        base = control_room_url.rstrip("/")
        self._add_url = f"{base}/v3/wlm/queues/{mapping.queue_id}/workitems"
        self._base = base
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)
        self._ledger = ledger
        self._callback_key = callback_key
        self._in_flight_s = in_flight_s
        self._clock = clock

    # ---- writing -----------------------------------------------------------------------------------

    def write(
        self, outcomes: Sequence[CrmOutcome], may_send: Callable[[], bool] = no_deadline, /
    ) -> list[CrmWriteResult]:
        """One result per outcome, in order: SUBMITTED once its work item is in the queue (now or before)."""
        results: dict[int, CrmWriteResult] = {}
        claimed: list[tuple[int, CrmOutcome, dict[str, Any]]] = []
        unknown: list[tuple[int, CrmOutcome, dict[str, Any], LedgerEntry]] = []
        if not may_send():
            return [not_sent(o.conversation_id) for o in outcomes]
        for index, outcome in enumerate(outcomes):
            cid = outcome.conversation_id
            token = callback_token.sign(self._callback_key, cid) if self._callback_key else None
            try:
                item = work_item_json(self.mapping, outcome, token)
            except MappingError as exc:
                results[index] = CrmWriteResult(cid, WriteStatus.PERMANENT, reason=f"mapping:{exc.name}")
                continue
            existing = self._ledger.claim(cid, outcome.content)
            decided = None if existing is None else self._from_ledger(existing, outcome)
            if decided is None:
                claimed.append((index, outcome, item))
                continue
            results[index] = decided
            if decided.reason in {AMBIGUOUS, PREVIOUS} and existing is not None:
                unknown.append((index, outcome, item, existing))
        if unknown:
            claimed.extend(self._resolve([u for u in unknown if u[3].deployment_id is None], results, may_send))
            if may_send():
                claimed.extend(self._older_item_ended([u for u in unknown if u[3].deployment_id is not None]))
        if claimed:
            self._send(claimed, results, may_send)
        return [results[index] for index in range(len(outcomes))]

    def _send(
        self,
        claimed: Sequence[tuple[int, CrmOutcome, dict[str, Any]]],
        results: dict[int, CrmWriteResult],
        may_send: Callable[[], bool],
    ) -> None:
        """The add request for the claimed records, if the time left still covers it; else the claims go.

        A request refused for its content (a permanent 4xx: one item too long, say) is split in halves
        until the bad item stands alone and goes to the DLQ with the Control Room's code, while the others
        are added (about 2·log2(n) extra requests per bad item, as Dataverse's bulk writes)."""
        if not claimed:
            return
        if not may_send():  # the look-ups (or the halves before) took the time left: nothing added
            self._release(claimed)
            results.update({index: not_sent(outcome.conversation_id) for index, outcome, _ in claimed})
            return
        answers = self._add(claimed)
        if len(claimed) > 1 and all(a.status is WriteStatus.PERMANENT for a in answers):
            again = []
            for (index, outcome, item), answer in zip(claimed, answers, strict=True):
                if self._ledger.claim(outcome.conversation_id, outcome.content) is None:  # released on refusal
                    again.append((index, outcome, item))
                else:
                    results[index] = CrmWriteResult(answer.conversation_id, WriteStatus.TRANSIENT, reason=IN_FLIGHT)
            half = len(again) // 2
            self._send(again[:half], results, may_send)
            self._send(again[half:], results, may_send)
            return
        for (index, _, _), answer in zip(claimed, answers, strict=True):
            results[index] = answer

    def _from_ledger(self, entry: LedgerEntry, outcome: CrmOutcome) -> CrmWriteResult | None:
        """What the entry that refused our claim says; None when we took it over for a new item."""
        cid = entry.conversation_id
        same = entry.holds(outcome.content)
        if entry.failed:
            return self._after_failure(entry, outcome)
        if entry.settled:  # this content's item completed: the CRM holds it
            return CrmWriteResult(cid, WriteStatus.WRITTEN, crm_id=entry.deployment_id)
        if entry.deployment_id is not None:
            if same:
                return CrmWriteResult(cid, WriteStatus.SUBMITTED, crm_id=entry.deployment_id)  # its result settles
            young = self._clock() - entry.claimed_at < self._in_flight_s
            reason = "previous-workitem-in-flight" if young else PREVIOUS  # asked in ``_older_item_ended``
            return CrmWriteResult(cid, WriteStatus.TRANSIENT, reason=reason)
        if self._clock() - entry.claimed_at < self._in_flight_s:
            return CrmWriteResult(cid, WriteStatus.TRANSIENT, reason=IN_FLIGHT)
        # A claim with no item id, older than an add takes: the add's answer was lost (a 502/504, a timeout,
        # a worker that died). ``_resolve`` looks for the item in the queue before anything is added again.
        return CrmWriteResult(cid, WriteStatus.TRANSIENT, reason=AMBIGUOUS)

    def _older_item_ended(
        self, older: Sequence[tuple[int, CrmOutcome, dict[str, Any], LedgerEntry]]
    ) -> list[tuple[int, CrmOutcome, dict[str, Any]]]:
        """Records whose entry holds an older version's item, past the in-flight window: the queue is
        asked for those items in one request (their result may never have been reported). One that ended
        is settled in the ledger as its callback would, and the claim taken for this version (returned,
        to be added); one still in the queue keeps the record waiting (``PREVIOUS``, retried)."""
        if not older:
            return []
        statuses = self.statuses([entry.deployment_id for *_, entry in older if entry.deployment_id])
        again: list[tuple[int, CrmOutcome, dict[str, Any]]] = []
        for index, outcome, item, entry in older:
            cid, ref = outcome.conversation_id, entry.deployment_id or ""
            status, result = statuses.get(ref, ("", None))
            if status in RUN_COMPLETED:
                self._ledger.settle(cid, ref)
                taken = self._ledger.claim(cid, outcome.content) is None
            elif status in RUN_FAILED:
                self._ledger.fail(cid, ref, bot_reason(status, result))
                failed = self._ledger.get(cid)
                taken = failed is not None and failed.failed and self._after_failure(failed, outcome) is None
            else:
                continue
            if taken:
                again.append((index, outcome, item))
        return again

    def _resolve(
        self,
        unknown: Sequence[tuple[int, CrmOutcome, dict[str, Any], LedgerEntry]],
        results: dict[int, CrmWriteResult],
        may_send: Callable[[], bool],
    ) -> list[tuple[int, CrmOutcome, dict[str, Any]]]:
        """Claims whose add may or may not have happened: an item found in the queue is recorded (its
        result settles the call); none found in a complete answer: the claim is taken again and the item
        added (returned). No answer: retried later, never a second item on a guess."""
        if not unknown:
            return []
        added = self._added_since(min(entry.claimed_at for *_, entry in unknown), may_send)
        again: list[tuple[int, CrmOutcome, dict[str, Any]]] = []
        for index, outcome, item, entry in unknown:
            cid = outcome.conversation_id
            if added is None:
                logger.error("work item add is ambiguous", extra={"system": SYSTEM, "conversationId": cid})
                continue
            if cid in added:
                ref = work_item_ref(self.mapping.queue_id, added[cid])
                self._ledger.record_deployment(cid, ref, outcome.content)
                results[index] = CrmWriteResult(cid, WriteStatus.SUBMITTED, crm_id=ref)
                continue
            self._ledger.release(cid, claimed_at=entry.claimed_at)  # only the claim read, not a fresh one
            if self._ledger.claim(cid, outcome.content) is None:
                again.append((index, outcome, item))
        return again

    def _added_since(self, claimed_at: float, may_send: Callable[[], bool]) -> dict[str, str] | None:
        """Conversation id → item id of the queue's items created since ``claimed_at`` (clock skew
        allowed), read from each item's ``json``; None without a complete answer, or when no work item
        attribute holds the conversation id. The ``createdOn`` field and ``gt`` operator are unconfirmed
        (as the deploy mode's activity filter): an answer we cannot read means unknown."""
        attribute = next((a for a, name in self.mapping.work_item.items() if name == "conversation_id"), None)
        if attribute is None:
            return None
        since = datetime.fromtimestamp(claimed_at - CLOCK_SKEW_S, tz=UTC).isoformat()
        rule = {"operator": "gt", "field": "createdOn", "value": since}
        found: dict[str, str] = {}
        offset = 0
        for _ in range(LIST_PAGES):
            if not may_send():  # no page may outlive the invocation: unknown, asked again next time
                return None
            body = {"filter": rule, "page": {"offset": offset, "length": LIST_PAGE}}
            try:
                response = self._http.request("POST", lambda _: f"{self._add_url}/list", json=body)
            except (UpstreamFailure, requests.RequestException):
                return None
            answer = json_body(response)
            items = added_items(answer) if response.ok else None
            page = answer.get("page") if isinstance(answer, dict) else None
            total = page.get("totalFilter") if isinstance(page, dict) else None
            if items is None or not isinstance(total, int):
                return None
            for i in items:
                data = i.get("json")
                if isinstance(data, dict) and isinstance(data.get(attribute), str) and "id" in i:
                    found.setdefault(data[attribute], str(i["id"]))
            offset += len(items)
            if offset >= total or not items:
                return found
        return None

    def _after_failure(self, entry: LedgerEntry, outcome: CrmOutcome) -> CrmWriteResult | None:
        """A failed item's entry: dead-letter once its attempts are used up, else take it over (None)."""
        same = entry.holds(outcome.content)
        if same and entry.attempts >= self.mapping.max_attempts:
            return CrmWriteResult(entry.conversation_id, WriteStatus.PERMANENT, reason=entry.reason or "bot:FAILED")
        attempts = entry.attempts + 1 if same else 1  # a new call version starts its own count
        if self._ledger.reclaim(entry, outcome.content, attempts):
            return None
        return CrmWriteResult(entry.conversation_id, WriteStatus.TRANSIENT, reason=IN_FLIGHT)

    def _release(self, claimed: Sequence[tuple[int, CrmOutcome, dict[str, Any]]]) -> None:
        for _, outcome, _ in claimed:
            self._ledger.release(outcome.conversation_id)

    def _add(self, claimed: Sequence[tuple[int, CrmOutcome, dict[str, Any]]]) -> list[CrmWriteResult]:
        """One add request for the claimed records; their results in order."""
        cids = [outcome.conversation_id for _, outcome, _ in claimed]
        body = add_body([item for _, _, item in claimed])
        try:
            response = self._http.request("POST", lambda _: self._add_url, json=body)
        except UpstreamFailure as failure:  # no token, so no request
            self._release(claimed)
            return [CrmWriteResult(cid, failure.status, failure.retry_after_s, failure.reason) for cid in cids]
        except requests.RequestException as exc:
            reason = transport_reason(exc)
            logger.warning("outbound call failed", extra={"system": SYSTEM, "error": reason, "workItems": len(cids)})
            if request_not_sent(exc):
                self._release(claimed)
            return [CrmWriteResult(cid, classify(exc), reason=reason) for cid in cids]
        log_response(SYSTEM, response, workItems=len(cids))
        answer = json_body(response)
        if response.ok:
            ids = item_ids(answer, len(cids))
            if ids is None:  # added, but we cannot tell which item is whose: keep the claims
                logger.error("work items added without their ids", extra={"system": SYSTEM, "workItems": len(cids)})
                return [CrmWriteResult(cid, WriteStatus.TRANSIENT, reason=AMBIGUOUS) for cid in cids]
            results = []
            for (_, outcome, _), item_id in zip(claimed, ids, strict=True):
                cid, ref = outcome.conversation_id, work_item_ref(self.mapping.queue_id, item_id)
                self._ledger.record_deployment(cid, ref, outcome.content)
                results.append(CrmWriteResult(cid, WriteStatus.SUBMITTED, crm_id=ref))
            return results
        if response.status_code not in AMBIGUOUS_STATUSES:
            self._release(claimed)  # the Control Room itself refused: no item was added
        code = answer.get("code") if isinstance(answer, dict) else None
        reason = code if isinstance(code, str) and code else f"http:{response.status_code}"
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return [CrmWriteResult(cid, classify(response), retry_after, reason) for cid in cids]

    # ---- results by listing ------------------------------------------------------------------------

    def statuses(self, refs: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """``ref → (status, result)`` of work items of this queue, listed in one request (an ``or`` of
        ``id`` filters); items the answer does not show, or an answer we cannot read, are left out."""
        queue, ids = str(self.mapping.queue_id), dict[str, str]()
        for given in refs:
            parsed = parse_ref(given)
            if parsed is not None and parsed[0] == queue:
                ids[parsed[1]] = given
        if not ids:
            return {}
        operands = [{"operator": "eq", "field": "id", "value": item} for item in ids]
        rule = operands[0] if len(operands) == 1 else {"operator": "or", "operands": operands}
        url = f"{self._add_url}/list"
        body = {"filter": rule, "page": {"offset": 0, "length": len(ids)}}
        try:
            response = self._http.request("POST", lambda _: url, json=body)
        except (UpstreamFailure, requests.RequestException):
            return {}
        items = added_items(json_body(response)) if response.ok else None
        found: dict[str, tuple[str, str | None]] = {}
        for item in items or []:
            ref = ids.get(str(item.get("id")))
            status = item.get("status")
            if ref is not None and isinstance(status, str):
                found[ref] = (status.upper(), item["result"] if isinstance(item.get("result"), str) else None)
        return found

    def run_status(self, deployment_id: str) -> str | None:
        """``ControlRoom``: the work item's status (``COMPLETED``, ``FAILED``, ``NEW``, ...); None if unknown."""
        status = self.statuses([deployment_id]).get(deployment_id)
        return status[0] if status else None
