"""``make faults``: the reliability run. Calls through the local stack while the CRM misbehaves.

The CRM sandbox throttles 30 % of requests, fails 10 % with a 5xx, times out 5 % and expires its
tokens; every event is delivered three times, concurrently and out of order. Afterwards every
conversation with a disposition must be in the CRM exactly once or in the dead-letter queue with a
reason: prints the counts and exits non-zero on any loss or duplicate. ``--calls`` sets the size
(10,000 for the documented run; CI runs a small one); ``--sink`` the CRM (Salesforce or Dataverse).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from local.demo import crm_sync, send_calls
from local.stack import CrmSinkName, LocalStack
from local.toil_data import PLANTED, generate_calls


def run(calls: int, copies: int, seed: int, timeout_s: float, sink: CrmSinkName = "salesforce") -> dict[str, object]:
    """The run's figures; ``lost`` and ``duplicated`` must both be 0."""
    rnd = random.Random(seed)  # noqa: S311 - a reproducible shuffle, not a secret
    day = datetime.now(UTC).date() - timedelta(days=1)
    generated = generate_calls([day], calls, PLANTED, seed=seed)
    expected = {c.conversation_id for c in generated if c.code_id or c.disposition_name}
    os.environ["HTTP_TIMEOUT_S"] = "1"  # a timed-out request costs a second, not five
    # Batches of 10 instead of 200: many more CRM requests, so every kind of fault is drawn often.
    stack = LocalStack(port=0, seed=seed, sqs_batch_size=10, crm_sink=sink).start()
    try:
        stack.crm.configure(throttle_ratio=0.30, fail_ratio=0.10, timeout_ratio=0.05, hang_s=1.5, expire_tokens_after=5)
        started = time.monotonic()
        ingest = send_calls(stack, generated, copies, rnd)
        sync = crm_sync(stack, expected, timeout_s)
        crm = stack.crm.state()
    finally:
        stack.stop()
    return {
        "sink": sink,
        "calls": len(generated),
        "calls_with_disposition": len(expected),
        "events_posted": ingest["events"],
        "duplicates_suppressed": ingest.get("duplicate", 0),
        **sync,
        "tokens_issued": crm["tokens_issued"],
        "crm_requests_by_route": crm["requests"],
        "duplicated": 0 if sync["crm_ids_unique"] else 1,
        "seconds": round(time.monotonic() - started, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--sink", choices=["salesforce", "dynamics"], default="salesforce")
    args = parser.parse_args(argv)
    figures = run(args.calls, args.copies, args.seed, args.timeout, args.sink)
    print(json.dumps(figures, indent=2))
    ok = figures["lost"] == 0 and figures["duplicated"] == 0 and figures["unexpected"] == 0
    print("zero lost, zero duplicated" if ok else "INCONSISTENT: a call was lost or written twice")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
