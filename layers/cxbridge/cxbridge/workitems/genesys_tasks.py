"""Genesys Cloud Task Management (Work Automation): create, read, change and look up workitems.

Bodies use the exact field names of ``WorkitemCreate`` / ``WorkitemUpdate``; answers (``Workitem``) are
read into a ``WorkitemSnapshot``. Retries stay inside a small time budget and are safe ones only:

* a 429 means Genesys did not process the request, so any request (a create too) is sent again after
  ``Retry-After`` seconds if that fits the budget; otherwise ``TaskApiThrottled`` carries the wait;
* 502/503/504 and transport errors are retried for reads, queries and PATCHes (they set values, so a
  repeat changes nothing), never for a create: a create that may have been applied raises
  ``TaskApiUnavailable(maybe_applied=True)`` and the caller looks it up by ``externalTag``.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from cxbridge.core.http import (
    DEFAULT_TIMEOUT_S,
    AuthorizedHttp,
    json_body,
    log_response,
    parse_retry_after,
    request_not_sent,
    transport_reason,
)
from cxbridge.core.observability import logger
from cxbridge.core.upstream import UpstreamFailure, backoff_delay
from cxbridge.workitems.workitem import (
    StatusCategory,
    TaskApiRejected,
    TaskApiThrottled,
    TaskApiUnavailable,
    TaskNotFound,
    WorkitemSnapshot,
    utc_iso,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from cxbridge.core.oauth import TokenCache
    from cxbridge.workitems.workitem import NewTask, TaskChanges

SYSTEM = "genesys"
WORKITEMS_PATH = "/api/v2/taskmanagement/workitems"
DEFAULT_RETRY_AFTER_S = 3.0  # what the Genesys SDKs assume when a 429 has no Retry-After
RETRYABLE_STATUSES = frozenset({502, 503, 504})
MAX_ATTEMPTS = 4


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _ref_id(value: Any) -> str | None:
    """The ``id`` of a reference object (``queue``, ``assignee``, ...)."""
    ref = value.get("id") if isinstance(value, dict) else None
    return ref if isinstance(ref, str) else None


def snapshot_of(body: dict[str, Any]) -> WorkitemSnapshot:
    """A ``Workitem`` answer as the routing facts we keep."""
    try:
        category = StatusCategory(body.get("statusCategory") or "Unknown")
    except ValueError:
        category = StatusCategory.UNKNOWN
    priority = body.get("priority")
    return WorkitemSnapshot(
        genesys_id=str(body["id"]),
        status_category=category,
        status_id=_ref_id(body.get("status")),
        assignment_state=body.get("assignmentState") if isinstance(body.get("assignmentState"), str) else None,
        assignee_id=_ref_id(body.get("assignee")),
        queue_id=_ref_id(body.get("queue")),
        workbin_id=_ref_id(body.get("workbin")),
        priority=priority if isinstance(priority, int) else None,
        date_created=_date(body.get("dateCreated")),
        date_modified=_date(body.get("dateModified")),
        date_due=_date(body.get("dateDue")),
        date_expires=_date(body.get("dateExpires")),
        date_closed=_date(body.get("dateClosed")),
        custom_fields=body["customFields"] if isinstance(body.get("customFields"), dict) else None,
    )


def create_body(task: NewTask) -> dict[str, Any]:
    """The ``WorkitemCreate`` body; unset optional fields are left out."""
    body: dict[str, Any] = {
        "name": task.name,
        "typeId": task.type_id,
        "priority": task.priority,
        "dateDue": utc_iso(task.date_due),
        "externalTag": task.external_tag,
        "dateExpires": utc_iso(task.date_expires) if task.date_expires else None,
        "queueId": task.queue_id,
        "workbinId": task.workbin_id,
        "skillIds": list(task.skill_ids) or None,
        "description": task.description,
        "customFields": dict(task.custom_fields) if task.custom_fields else None,
        "externalContactId": task.external_contact_id,
        "languageId": task.language_id,
        "preferredAgentIds": list(task.preferred_agent_ids) or None,
    }
    return {k: v for k, v in body.items() if v is not None}


def update_body(changes: TaskChanges) -> dict[str, Any]:
    """The ``WorkitemUpdate`` body with the fields to change only (PATCH semantics)."""
    body: dict[str, Any] = {
        "name": changes.name,
        "description": changes.description,
        "priority": changes.priority,
        "dateDue": utc_iso(changes.date_due) if changes.date_due else None,
        "dateExpires": utc_iso(changes.date_expires) if changes.date_expires else None,
        "statusId": changes.status_id,
        "queueId": changes.queue_id,
        "workbinId": changes.workbin_id,
        "customFields": dict(changes.custom_fields) if changes.custom_fields is not None else None,
    }
    return {k: v for k, v in body.items() if v is not None}


def query_body(type_id: str, external_tag: str) -> dict[str, Any]:
    """``WorkitemQueryPostRequest`` for one external tag; the API wants an EQ filter on ``typeId`` (or
    queue, workbin, assignee) besides, and at most three filters."""
    return {
        "filters": [
            {"name": "typeId", "type": "String", "operator": "EQ", "values": [type_id]},
            {"name": "externalTag", "type": "String", "operator": "EQ", "values": [external_tag]},
        ],
        "pageSize": 25,
    }


class GenesysTaskClient:
    """The Task Management calls of the workitem services. One per process (it owns the token cache)."""

    def __init__(
        self,
        tokens: TokenCache,
        api_base_url: str,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retry_budget_s: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._api = api_base_url.rstrip("/")
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)
        self._budget_s = retry_budget_s
        self._sleep = sleep
        self._clock = clock
        self._rand = rand

    # ---- the calls ----------------------------------------------------------------------------------

    def create(self, task: NewTask) -> WorkitemSnapshot:
        """``POST /api/v2/taskmanagement/workitems``. Never re-sent unless Genesys said 429 or the
        connection was never made."""
        response = self._call(
            "POST", WORKITEMS_PATH, create_body(task), idempotent=False, externalTag=task.external_tag
        )
        return self._workitem(response, maybe_applied=True)

    def get(self, genesys_id: str) -> WorkitemSnapshot:
        """``GET /api/v2/taskmanagement/workitems/{id}``; ``TaskNotFound`` if it is gone."""
        response = self._call("GET", self._item(genesys_id), None, idempotent=True, workitemId=genesys_id)
        return self._workitem(response, maybe_applied=False)

    def update(self, genesys_id: str, changes: TaskChanges) -> WorkitemSnapshot:
        """``PATCH /api/v2/taskmanagement/workitems/{id}`` with the fields to change."""
        response = self._call(
            "PATCH", self._item(genesys_id), update_body(changes), idempotent=True, workitemId=genesys_id
        )
        return self._workitem(response, maybe_applied=True)

    def find_by_external_tag(self, type_id: str, external_tag: str) -> WorkitemSnapshot | None:
        """The workitem of this type carrying ``external_tag`` (``POST …/workitems/query``), or None."""
        body = query_body(type_id, external_tag)
        response = self._call("POST", f"{WORKITEMS_PATH}/query", body, idempotent=True, externalTag=external_tag)
        answer = self._ok(response, maybe_applied=False)
        raw = answer.get("entities")
        entities: list[Any] = raw if isinstance(raw, list) else []
        matches = [e for e in entities if isinstance(e, dict) and e.get("id") and e.get("externalTag") == external_tag]
        return snapshot_of(matches[0]) if matches else None

    # ---- plumbing -----------------------------------------------------------------------------------

    def _item(self, genesys_id: str) -> str:
        return f"{WORKITEMS_PATH}/{quote(genesys_id, safe='')}"

    def _call(self, method: str, path: str, body: Any, *, idempotent: bool, **ids: str) -> requests.Response:
        """Send, retrying what is safe to retry while the budget lasts; return the last answer."""
        deadline = self._clock() + self._budget_s
        url = f"{self._api}{path}"
        for attempt in range(MAX_ATTEMPTS):
            last = attempt == MAX_ATTEMPTS - 1
            try:
                response = self._http.request(method, lambda _: url, json=body)
            except UpstreamFailure as exc:  # no token: the request was never sent
                raise TaskApiUnavailable(exc.reason, maybe_applied=False, retry_after_s=exc.retry_after_s) from None
            except requests.RequestException as exc:
                reason = transport_reason(exc)
                logger.warning("outbound call failed", extra={"system": SYSTEM, "error": reason, **ids})
                retryable = idempotent or request_not_sent(exc)
                if last or not retryable or not self._pause(self._backoff(attempt), deadline):
                    raise TaskApiUnavailable(reason, maybe_applied=not request_not_sent(exc)) from None
                continue
            log_response(SYSTEM, response, **ids)
            wait = self._wait_for(response, attempt, idempotent=idempotent)
            if wait is None or last or not self._pause(wait, deadline):
                return response
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises on its last attempt

    def _wait_for(self, response: requests.Response, attempt: int, *, idempotent: bool) -> float | None:
        """How long to wait before sending again, or None when this answer is final."""
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if response.status_code == 429:
            return retry_after if retry_after is not None else DEFAULT_RETRY_AFTER_S
        if idempotent and response.status_code in RETRYABLE_STATUSES:
            return max(self._backoff(attempt), retry_after or 0.0)
        return None

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(attempt, 0.2, 1.0, None, self._rand)

    def _pause(self, seconds: float, deadline: float) -> bool:
        """Sleep ``seconds`` if that ends before ``deadline``; False (no sleep) otherwise."""
        if self._clock() + seconds > deadline:
            return False
        self._sleep(seconds)
        return True

    def _ok(self, response: requests.Response, *, maybe_applied: bool) -> dict[str, Any]:
        """The JSON object of a 2xx answer; our error for any other."""
        body = json_body(response)
        status = response.status_code
        if 200 <= status < 300:
            if not isinstance(body, dict):
                raise TaskApiUnavailable("bad-response", maybe_applied=maybe_applied)
            return body
        code = body.get("code") if isinstance(body, dict) else None
        reason = code if isinstance(code, str) and code else f"http:{status}"
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            raise TaskApiThrottled(reason, retry_after if retry_after is not None else DEFAULT_RETRY_AFTER_S)
        if status == 404:
            raise TaskNotFound(reason)
        if status >= 500 or status in (401, 403, 408):
            # 401 after one re-login, 403 (a permission an operator must grant): not applied, try again later
            applied = maybe_applied and status >= 500
            raise TaskApiUnavailable(reason, maybe_applied=applied, retry_after_s=retry_after)
        raise TaskApiRejected(reason, status)

    def _workitem(self, response: requests.Response, *, maybe_applied: bool) -> WorkitemSnapshot:
        body = self._ok(response, maybe_applied=maybe_applied)
        if not isinstance(body.get("id"), str) or not body["id"]:
            raise TaskApiUnavailable("bad-response", maybe_applied=maybe_applied)
        return snapshot_of(body)
