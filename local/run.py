"""``make local``: the whole system on 127.0.0.1 — AWS on a moto server, Genesys and the CRM as sandboxes.

No AWS account and no Docker. ``--replay`` posts every sample in ``events/genesys`` three times,
concurrently, waits until the CRM sandbox holds the calls, prints a summary and exits (non-zero if a
call is missing or written twice).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.request import Request, urlopen

from local.stack import LocalStack
from scripts.build_events import BODIES, route_of

DEFAULT_PORT = 3000


def post(base_url: str, authorization: str, path: str, body: bytes) -> dict[str, Any]:
    """POST a JSON body to the local API, as Genesys (or a source system) would, with its token."""
    headers = {"Content-Type": "application/json", "Authorization": authorization}
    request = Request(base_url + path, data=body, headers=headers, method="POST")  # noqa: S310 - 127.0.0.1
    with urlopen(request, timeout=30) as resp:  # noqa: S310
        answer: dict[str, Any] = json.loads(resp.read())
        return answer


def replay_samples(stack: LocalStack, base_url: str, timeout_s: float = 60) -> dict[str, Any]:
    """Post every sample body three times, concurrently; wait for the CRM; count what happened."""
    posts = [(route_of(p.stem)[0], p.read_bytes()) for p in sorted(BODIES.glob("*.json"))] * 3
    genesys = stack.bearer("genesys")
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda item: post(base_url, genesys, *item), posts))
    outcomes: dict[str, int] = {}
    for answer in answers:
        outcomes[answer["outcome"]] = outcomes.get(answer["outcome"], 0) + 1
    expected = {a["conversationId"] for a in answers if a["outcome"] == "applied"}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        records = stack.crm_rows()
        if len(records) >= 3:
            break
        time.sleep(0.2)
    records = stack.crm_rows()
    return {
        "posted": len(posts),
        "outcomes": outcomes,
        "conversations": len(expected),
        "crm_records": sorted(records),
        "queues": stack.state()["queues"],
    }


def stop_when_orphaned(stop: threading.Event, parent: int, interval_s: float = 0.5) -> None:
    """Stop when the process that started us is gone: a SIGTERM to ``make local`` ends make, not its child."""
    while not stop.wait(interval_s):
        if os.getppid() != parent:
            stop.set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("CXBRIDGE_LOCAL_PORT", DEFAULT_PORT)))
    parser.add_argument("--replay", action="store_true", help="post the samples 3x, print a summary, exit")
    args = parser.parse_args(argv)

    parent = os.getppid()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGHUP):  # before anything is printed: a caller may signal at once
        signal.signal(signum, lambda *_: stop.set())
    stack = LocalStack(host=args.host, port=args.port).start()
    base = f"http://{args.host}:{stack.port}"
    print("cxbridge local stack")
    for line in stack.endpoints():
        print(line)
    sys.stdout.flush()
    try:
        if args.replay:
            summary = replay_samples(stack, base)
            print(json.dumps(summary, indent=2))
            return 0 if len(summary["crm_records"]) == 3 else 1
        print("Ctrl-C to stop; data is kept while the stack runs.")
        sys.stdout.flush()
        threading.Thread(target=stop_when_orphaned, args=(stop, parent), daemon=True).start()
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping")
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
