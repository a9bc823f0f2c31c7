"""Step Functions state transitions per workitem, counted from moto's execution history.

The shipped worktype mapping (``claim-review``: 50 % warn, 75 % overflow, 100 % supervisor, then two
reprioritisation steps) runs on the workitem state machine from its ASL file, with SLAs of seconds:

* closed early: the worst case of a workitem closed inside its SLA — it closes after the last step
  before its due date (75 %) has run, and the close event stops the execution while it waits;
* full ladder: nobody closes it; every step runs and the execution ends on its own.

Each transition is a state entered (what Standard workflows bill). ``quick`` runs one workitem per path,
otherwise three, and the worst seen is reported.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from cxbridge.workitems.worktype_catalog import packaged_document
from local.workitems import WorkitemStack

WORKTYPE = "claim-review"
FULL_LADDER_SLA_S = 2
CLOSED_EARLY_SLA_S = 8  # leaves a window of two seconds between the 75 % step and the due date


def _capture(stack: WorkitemStack, source_id: str, sla_s: int) -> dict[str, Any]:
    body = {
        "sourceId": source_id,
        "worktype": WORKTYPE,
        "name": f"Bench workitem {source_id}",
        "sla": {"durationSeconds": sla_s},
    }
    status, answer = stack.api("POST", "/workitems", body)
    if status != 201:
        raise RuntimeError(f"capture failed: {status} {answer}")
    return {**answer, "executionArn": stack.row(answer["id"])["executionArn"]}


def _close_after_step(stack: WorkitemStack, workitem: dict[str, Any], step: int, timeout_s: float) -> None:
    """Wait until ladder step ``step`` has run, then close the workitem as an agent would (event included)."""
    deadline = time.monotonic() + timeout_s
    while int(stack.row(workitem["id"]).get("lastStep", -1)) < step:
        if time.monotonic() > deadline:
            raise RuntimeError("the ladder did not reach the step in time")
        time.sleep(0.05)
    completed = json.loads(packaged_document())["worktypes"][WORKTYPE]["statuses"]["completed"]
    stack.genesys.tasks.agent_update(workitem["genesysWorkitemId"], statusId=completed)
    stack.post_event(stack.genesys.tasks.topic_event(workitem["genesysWorkitemId"]))


def bench_sla(quick: bool) -> dict[str, int]:
    """``{"sfn_transitions_closed_early": n, "sfn_transitions_full_ladder": m}`` (worst seen of each)."""
    runs = 1 if quick else 3
    saved_tz = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"  # moto's Wait compares a UTC timestamp with the local clock
    time.tzset()
    try:
        with WorkitemStack(json.loads(packaged_document())) as stack:
            early = [_capture(stack, f"early-{n}", CLOSED_EARLY_SLA_S) for n in range(runs)]
            full = [_capture(stack, f"full-{n}", FULL_LADDER_SLA_S) for n in range(runs)]
            with ThreadPoolExecutor(max_workers=runs) as pool:
                list(pool.map(lambda w: _close_after_step(stack, w, 1, CLOSED_EARLY_SLA_S), early))
            for workitem in early + full:
                stack.wait_for(workitem["executionArn"], timeout_s=CLOSED_EARLY_SLA_S * 2)
            return {
                "sfn_transitions_closed_early": max(len(stack.transitions(w["executionArn"])) for w in early),
                "sfn_transitions_full_ladder": max(len(stack.transitions(w["executionArn"])) for w in full),
            }
    finally:
        if saved_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved_tz
        time.tzset()


if __name__ == "__main__":
    print(json.dumps(bench_sla(quick=True)))
