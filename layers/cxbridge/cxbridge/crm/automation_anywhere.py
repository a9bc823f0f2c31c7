"""Call outcomes as Automation Anywhere bot runs: ``POST /v3/automations/deploy``, one per conversation.

The Control Room documents no idempotency key: every accepted deploy is a new bot run. So the sink
claims the conversation in a ``BotDeploymentLedger`` before deploying and records the ``deploymentId``
after, and it releases the claim only when the Control Room certainly did not start a run.

A claim without a deployment id, older than the in-flight window, is *ambiguous*: a worker died, or
a response was lost, between the deploy and the record. It cannot be reconciled automatically: the
activity list (``POST /v3/activity/list``) is filtered by fields the Control Room assigns (``deploymentId``,
``automationName``, ``status``, times), none of which we knew before the answer, and a time-window
search on the bot cannot tell this conversation's run from another's. Such a record is PERMANENT
(``ambiguous-deployment``): a person checks the activity list around ``claimed_at``, then either records
the deployment id in the ledger or deletes the claim and redrives the message. Deploying again on a
guess would risk a second bot run, which is worse than a late one.
"""

from __future__ import annotations

import time
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
from cxbridge.crm.outcome import CrmWriteResult, MappingError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from cxbridge.core.oauth import TokenCache
    from cxbridge.crm.outcome import CrmOutcome, LedgerEntry
    from cxbridge.crm.ports import BotDeploymentLedger

SYSTEM = "automation_anywhere"
# Gateway errors: the Control Room behind the gateway may have started the run before the answer was lost.
AMBIGUOUS_STATUSES = frozenset({502, 504})


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
        AWS. ``in_flight_s`` is how long a claim without a deployment id is taken for a deploy still under
        way (a concurrent duplicate delivery) rather than a lost one; keep it above the time one deploy can
        take, token fetch included."""
        self.mapping = mapping
        self._deploy_url = f"{control_room_url.rstrip('/')}/v3/automations/deploy"
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)
        self._ledger = ledger
        self._callback_url = callback_url
        self._callback_key = callback_key
        self._in_flight_s = in_flight_s
        self._clock = clock

    def write(self, outcomes: Sequence[CrmOutcome]) -> list[CrmWriteResult]:
        """One result per outcome, in order: SUBMITTED once a run is deployed (now or before)."""
        return [self._deploy(outcome) for outcome in outcomes]

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

    def _from_ledger(self, entry: LedgerEntry) -> CrmWriteResult:
        cid = entry.conversation_id
        if entry.deployment_id is not None:
            return CrmWriteResult(cid, WriteStatus.SUBMITTED, crm_id=entry.deployment_id)
        if self._clock() - entry.claimed_at < self._in_flight_s:
            return CrmWriteResult(cid, WriteStatus.TRANSIENT, reason="deployment-in-flight")
        logger.error("bot deployment is ambiguous", extra={"system": SYSTEM, "conversationId": cid})
        return CrmWriteResult(cid, WriteStatus.PERMANENT, reason="ambiguous-deployment")

    def _deploy(self, outcome: CrmOutcome) -> CrmWriteResult:
        cid = outcome.conversation_id
        try:
            payload = self._payload(outcome)
        except MappingError as exc:
            return CrmWriteResult(cid, WriteStatus.PERMANENT, reason=f"mapping:{exc.name}")
        existing = self._ledger.claim(cid)
        if existing is not None:
            return self._from_ledger(existing)
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
        return self._answered(cid, response)

    def _answered(self, cid: str, response: requests.Response) -> CrmWriteResult:
        body = json_body(response)
        if response.ok:
            deployment_id = body.get("deploymentId") if isinstance(body, dict) else None
            if not isinstance(deployment_id, str) or not deployment_id:
                logger.error("deploy accepted without a deploymentId", extra={"system": SYSTEM, "conversationId": cid})
                return CrmWriteResult(cid, WriteStatus.PERMANENT, reason="ambiguous-deployment")
            self._ledger.record_deployment(cid, deployment_id)
            return CrmWriteResult(cid, WriteStatus.SUBMITTED, crm_id=deployment_id)
        if response.status_code not in AMBIGUOUS_STATUSES:
            self._ledger.release(cid)  # the Control Room itself refused: no run was started
        code = body.get("code") if isinstance(body, dict) else None
        reason = code if isinstance(code, str) and code else f"http:{response.status_code}"
        return CrmWriteResult(cid, classify(response), parse_retry_after(response.headers.get("Retry-After")), reason)
