"""Automation Anywhere Workload Management (WLM), the pure part: what a work item holds, how our ledger
names it, and how a bot's answer becomes a reason (issue 16).

Facts (``shared/reference/transcripts-lookups-bulk-auth-facts.md`` section 6): work items are added in
lists, ``POST /v3/wlm/queues/{queueId}/workitems`` ``{"workItems": [{"json": {...}}]}``; each answer item
has ``id``, ``json``, ``status`` (``NEW`` when added), ``result``; the queue's items are listed by
``POST /v3/wlm/queues/{id}/workitems/list`` with a ``filter``. What is unconfirmed is read defensively
here (docs/decisions.md, issue 16): the add answer's envelope, the per-request maximum, the status strings.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from cxbridge.crm.outcome import CrmOutcome

# Work items per add request. The maximum is unconfirmed; 100 keeps a request small (values up to 1,000
# characters each) and is a divisor of the worker's 200-message batch.
DEFAULT_BATCH_SIZE = 100
MAX_BATCH_SIZE = 500
# The prefix of a work item's id in the bot ledger, which also holds deploy-mode deployment ids.
REF_PREFIX = "wlm"
_REF = re.compile(rf"^{REF_PREFIX}:(?P<queue>\d+):(?P<item>[A-Za-z0-9_-]{{1,64}})$")
# A bot's result kept as a reason: a code (``crm.locked``, ``E_TIMEOUT``), nothing that could be a number
# a caller gave (a run of four digits or more) or free text.
_RESULT_CODE = re.compile(r"^(?=.*[A-Za-z])(?!.*\d{4})[A-Za-z0-9_.:-]{1,40}$")


class WorkQueueMapping(BaseModel):
    """Which WLM queue gets the work items, and what each holds: configuration, not code.

    ``work_item`` maps a work item model attribute to a ``CrmOutcome`` attribute (the same mapping as the
    deploy mode's ``bot_input``; values stay plain: the model types them). ``callback_token_attribute``
    is the attribute that carries the item's callback token, which the bot sends back as the
    callback header (``callback_token.HEADER``); none: results come back only by listing the queue.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    queue_id: int = Field(ge=1)
    work_item: dict[str, str] = Field(min_length=1)
    callback_token_attribute: str | None = Field(default="cxbCallbackToken", min_length=1)
    batch_size: int = Field(default=DEFAULT_BATCH_SIZE, ge=1, le=MAX_BATCH_SIZE)
    # Items added for one call version before a failure is final (then the DLQ, with the bot's reason).
    max_attempts: int = Field(default=3, ge=1, le=10)


def work_item_json(mapping: WorkQueueMapping, outcome: CrmOutcome, token: str | None) -> dict[str, Any]:
    """One work item's ``json``: the mapped attributes that have a value, and the callback token."""
    item: dict[str, Any] = {
        attribute: value for attribute, name in mapping.work_item.items() if (value := outcome.value(name)) is not None
    }
    if token is not None and mapping.callback_token_attribute:
        item[mapping.callback_token_attribute] = token
    return item


def add_body(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The add request's body: many work items in one request."""
    return {"workItems": [{"json": item} for item in items]}


def work_item_ref(queue_id: int | str, item_id: int | str) -> str:
    """The ledger's id of a work item: ``wlm:<queue>:<item>`` (work item ids are per queue)."""
    return f"{REF_PREFIX}:{queue_id}:{item_id}"


def parse_ref(ref: str) -> tuple[str, str] | None:
    """``(queue id, item id)`` of a ledger id made by ``work_item_ref``; None for any other (a deployment)."""
    match = _REF.match(ref)
    return (match["queue"], match["item"]) if match else None


def added_items(body: Any) -> list[dict[str, Any]] | None:
    """The work items of an add answer: a list, or an object's ``list`` / ``workItems`` (the envelope is
    unconfirmed); None when it is none of these."""
    items = body
    if isinstance(body, dict):
        items = body.get("list", body.get("workItems"))
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return None
    return items


def item_ids(body: Any, expected: int) -> list[str] | None:
    """The added items' ids, in request order; None unless there is exactly one id per item sent."""
    items = added_items(body)
    if items is None or len(items) != expected:
        return None
    ids = [i.get("id") for i in items]
    if not all(isinstance(i, (str, int)) and not isinstance(i, bool) and str(i) for i in ids):
        return None
    return [str(i) for i in ids]


def bot_reason(status: str, result: str | None = None) -> str:
    """``bot:<STATUS>[:<result>]``: the bot's result only when it is a code (``_RESULT_CODE``), never free
    text that could carry what the call was about."""
    reason = f"bot:{status.upper()[:20]}"
    if result and _RESULT_CODE.match(result.strip()):
        reason = f"{reason}:{result.strip()}"
    return reason
