"""Call outcomes as Automation Anywhere bot runs: ``POST /v3/automations/deploy``, one per conversation.

The Control Room documents no idempotency key: every accepted deploy is a new bot run. So the sink
claims the conversation in a ``BotDeploymentLedger`` before deploying, for the record content it sends,
and records the ``deploymentId`` after; it releases the claim only when the Control Room certainly did
not start a run. A claim for other content waits until the run before it has ended (its callback, or
the activity list says so), so an older run never lands after a newer one.

An unknown outcome is looked up before any decision (``POST /v3/activity/list``): a known deployment by
its ``deploymentId``; a claim without one (a worker died, or a 502/504 lost the answer) by the bot's runs
created around the claim. No run there: the claim is released and the deploy made. Any run there, or
no answer: retried later (never a second deploy on a guess, which is worse than a late one).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import requests
from pydantic import BaseModel, ConfigDict, Field

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
from cxbridge.crm.outcome import RUN_COMPLETED, RUN_FAILED, CrmWriteResult, MappingError, no_deadline, not_sent

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cxbridge.core.oauth import TokenCache
    from cxbridge.crm.outcome import CrmOutcome, LedgerEntry
    from cxbridge.crm.ports import BotDeploymentLedger

SYSTEM = "automation_anywhere"
# Gateway errors: the Control Room behind the gateway may have started the run before the answer was lost.
AMBIGUOUS_STATUSES = frozenset({502, 504})
# Clock difference allowed between our claim time and the Control Room's ``createdOn`` of a run.
CLOCK_SKEW_S = 120.0


class AutomationAnywhereMapping(BaseModel):
    """Which bot runs, as whom and where, and what it is given: configuration, not code.

    ``bot_input`` maps a bot input variable (marked *input* in the bot, same exact name) to a
    ``CrmOutcome`` attribute; text becomes ``STRING`` and whole numbers ``NUMBER``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    file_id: int = Field(ge=1)
    run_as_user_ids: list[int] = Field(min_length=1)
    pool_ids: list[int] = Field(default_factory=list)
    override_default_device: bool = False
    bot_input: dict[str, str] = Field(default_factory=dict)


def typed_variable(value: str | int) -> dict[str, Any]:
    """A ``botInput`` value: ``{"type": "STRING", "string": ...}`` or ``{"type": "NUMBER", "number": ...}``."""
    if isinstance(value, str):
        return {"type": "STRING", "string": value}
    return {"type": "NUMBER", "number": value}


class AutomationAnywhereSink:
    """Deploys one bot run per conversation; the result arrives later at the callback URL."""

    max_batch = 1  # the deploy API takes one run per request

    def __init__(
        self,
        mapping: AutomationAnywhereMapping,
        control_room_url: str,
        tokens: TokenCache,
        ledger: BotDeploymentLedger,
        *,
        callback_url: str,
        callback_key: bytes,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        in_flight_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Each deploy carries its own callback token (``callback_token``), signed with ``callback_key``: a
        Control Room token would expire (20 min) before a long run ends, and no key of our API may leave
        AWS. ``in_flight_s`` is how long a claim is taken for a deploy still under way (a concurrent
        duplicate delivery) before the Control Room is asked; keep it above the time one deploy can take,
        token fetch included (the worker's timeout)."""
        self.mapping = mapping
        self._deploy_url = f"{control_room_url.rstrip('/')}/v3/automations/deploy"
        self._activity_url = f"{control_room_url.rstrip('/')}/v3/activity/list"
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)
        self._ledger = ledger
        self._callback_url = callback_url
        self._callback_key = callback_key
        self._in_flight_s = in_flight_s
        self._clock = clock

    def write(
        self, outcomes: Sequence[CrmOutcome], may_send: Callable[[], bool] = no_deadline, /
    ) -> list[CrmWriteResult]:
        """One result per outcome, in order: SUBMITTED once a run is deployed (now or before)."""
        return [self._deploy(o) if may_send() else not_sent(o.conversation_id) for o in outcomes]

    def _payload(self, outcome: CrmOutcome) -> dict[str, Any]:
        bot_input = {
            variable: typed_variable(value)
            for variable, attribute in self.mapping.bot_input.items()
            if (value := outcome.value(attribute)) is not None
        }
        return {
            "fileId": self.mapping.file_id,
            "runAsUserIds": self.mapping.run_as_user_ids,
            "poolIds": self.mapping.pool_ids,
            "overrideDefaultDevice": self.mapping.override_default_device,
            "callbackInfo": {
                "url": self._callback_url,
                "headers": {callback_token.HEADER: callback_token.sign(self._callback_key, outcome.conversation_id)},
            },
            "botInput": bot_input,
        }

    def _from_ledger(self, entry: LedgerEntry, outcome: CrmOutcome, again: bool) -> CrmWriteResult:
        """Decide from the entry that refused our claim, asking the Control Room when the entry cannot tell."""
        cid = entry.conversation_id
        if entry.settled:  # this content's run already completed: the CRM holds it
            return CrmWriteResult(cid, WriteStatus.WRITTEN, crm_id=entry.deployment_id)
        if self._clock() - entry.claimed_at < self._in_flight_s:
            if entry.deployment_id is not None and entry.holds(outcome.content):
                return CrmWriteResult(cid, WriteStatus.SUBMITTED, crm_id=entry.deployment_id)
            return CrmWriteResult(cid, WriteStatus.TRANSIENT, reason="deployment-in-flight")
        if entry.deployment_id is None:
            return self._unrecorded(entry, outcome, again)
        return self._deployed(entry, entry.deployment_id, outcome, again)

    def _deployed(self, entry: LedgerEntry, deployment_id: str, outcome: CrmOutcome, again: bool) -> CrmWriteResult:
        """A deployment older than a deploy takes: has its run ended (the callback may be lost)?"""
        cid = entry.conversation_id
        status = self.run_status(deployment_id)
        if status in RUN_COMPLETED or status in RUN_FAILED:
            if status in RUN_FAILED:
                self._ledger.forget(cid, deployment_id)  # a failed run holds nothing: a later job may deploy again
            else:
                self._ledger.settle(cid, deployment_id)
            if not entry.holds(outcome.content) and again:
                return self._deploy(outcome, again=False)  # the older run ended: send this version
            if status in RUN_FAILED:
                return CrmWriteResult(cid, WriteStatus.PERMANENT, reason=f"bot:{status}")
            return CrmWriteResult(cid, WriteStatus.WRITTEN, crm_id=deployment_id)
        if entry.holds(outcome.content):
            return CrmWriteResult(cid, WriteStatus.SUBMITTED, crm_id=deployment_id)  # its callback settles
        return CrmWriteResult(cid, WriteStatus.TRANSIENT, reason="previous-run-in-flight")

    def _unrecorded(self, entry: LedgerEntry, outcome: CrmOutcome, again: bool) -> CrmWriteResult:
        """A claim with no deployment id, older than a deploy takes: did the Control Room start a run?"""
        cid = entry.conversation_id
        runs = self._runs_created_near(entry.claimed_at)
        if runs == 0 and again:
            self._ledger.release(cid, claimed_at=entry.claimed_at)  # only the claim read, not a fresh one
            return self._deploy(outcome, again=False)
        logger.error("bot deployment is ambiguous", extra={"system": SYSTEM, "conversationId": cid})
        return CrmWriteResult(cid, WriteStatus.TRANSIENT, reason="ambiguous-deployment")

    def _activity(self, rule: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The activity list's entries matching ``rule``; None when there is no usable answer."""
        try:
            response = self._http.request("POST", lambda _: self._activity_url, json={"filter": rule})
        except (UpstreamFailure, requests.RequestException):
            return None
        body = json_body(response)
        entries = body.get("list") if response.ok and isinstance(body, dict) else None
        if not isinstance(entries, list):
            return None
        return [e for e in entries if isinstance(e, dict)]

    def run_status(self, deployment_id: str) -> str | None:
        """The run's status in the Control Room (``COMPLETED``, ``RUNNING``, ...); None if unknown."""
        entries = self._activity({"operator": "eq", "field": "deploymentId", "value": deployment_id})
        if not entries:
            return None
        status = entries[0].get("status")
        return status.upper() if isinstance(status, str) else None

    def _runs_created_near(self, claimed_at: float) -> int | None:
        """How many runs of this bot the Control Room created from the claim to the end of its in-flight
        window (clock skew allowed); None if unknown. The ``fileId`` and ``createdOn`` fields and the
        ``gt`` operator are unconfirmed (crm-rpa-facts 3.3): an answer we cannot read means unknown."""
        since = datetime.fromtimestamp(claimed_at - CLOCK_SKEW_S, tz=UTC).isoformat()
        until = datetime.fromtimestamp(claimed_at + self._in_flight_s + CLOCK_SKEW_S, tz=UTC).isoformat()
        rule = {
            "operator": "and",
            "operands": [
                {"operator": "eq", "field": "fileId", "value": str(self.mapping.file_id)},
                {"operator": "gt", "field": "createdOn", "value": since},
            ],
        }
        entries = self._activity(rule)
        if entries is None or any(not isinstance(e.get("createdOn"), str) for e in entries):
            return None
        return sum(str(e["createdOn"]) <= until for e in entries)

    def _deploy(self, outcome: CrmOutcome, again: bool = True) -> CrmWriteResult:
        cid = outcome.conversation_id
        try:
            payload = self._payload(outcome)
        except MappingError as exc:
            return CrmWriteResult(cid, WriteStatus.PERMANENT, reason=f"mapping:{exc.name}")
        existing = self._ledger.claim(cid, outcome.content)
        if existing is not None:
            return self._from_ledger(existing, outcome, again)
        try:
            response = self._http.request("POST", lambda _: self._deploy_url, json=payload)
        except UpstreamFailure as failure:  # no token, so no deploy
            self._ledger.release(cid)
            return CrmWriteResult(cid, failure.status, failure.retry_after_s, failure.reason)
        except requests.RequestException as exc:
            reason = transport_reason(exc)
            logger.warning("outbound call failed", extra={"system": SYSTEM, "error": reason, "conversationId": cid})
            if request_not_sent(exc):
                self._ledger.release(cid)
            return CrmWriteResult(cid, classify(exc), reason=reason)
        log_response(SYSTEM, response, conversationId=cid)
        return self._answered(cid, outcome.content, response)

    def _answered(self, cid: str, content: str, response: requests.Response) -> CrmWriteResult:
        body = json_body(response)
        if response.ok:
            deployment_id = body.get("deploymentId") if isinstance(body, dict) else None
            if not isinstance(deployment_id, str) or not deployment_id:
                logger.error("deploy accepted without a deploymentId", extra={"system": SYSTEM, "conversationId": cid})
                return CrmWriteResult(cid, WriteStatus.TRANSIENT, reason="ambiguous-deployment")
            self._ledger.record_deployment(cid, deployment_id, content)
            return CrmWriteResult(cid, WriteStatus.SUBMITTED, crm_id=deployment_id)
        if response.status_code not in AMBIGUOUS_STATUSES:
            self._ledger.release(cid)  # the Control Room itself refused: no run was started
        code = body.get("code") if isinstance(body, dict) else None
        reason = code if isinstance(code, str) and code else f"http:{response.status_code}"
        return CrmWriteResult(cid, classify(response), parse_retry_after(response.headers.get("Retry-After")), reason)
