"""One cold start, run by ``bench.cold_start`` in the Lambda-like venv: prints its times as JSON.

``import <module>``: import it. ``handler <event.json>``: import ``app`` from the task folder and handle
the event once. ``floor <service> <operation> <params.json>``: import boto3, build the client, make the
one call. Nothing else of the bench is importable here (``python -P``), as in Lambda.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


class _Context:
    """The Lambda context attributes Powertools reads."""

    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def handler(event: dict[str, Any]) -> Any:
    import app  # type: ignore[import-not-found]  # the function's folder, first on the path as /var/task

    return app.lambda_handler(event, _Context())


def floor(service: str, operation: str, params: dict[str, Any]) -> Any:
    import boto3

    return sorted(getattr(boto3.client(service), operation)(**params))  # type: ignore[call-overload]


def main() -> None:
    mode, *args = sys.argv[1:]
    loaded: Any = None
    if mode != "import":
        with open(args[-1]) as f:
            loaded = json.load(f)
    wall, cpu = time.perf_counter(), time.process_time()
    if mode == "import":
        result = __import__(args[0]) and None
    elif mode == "handler":
        result = handler(loaded)
    else:
        result = floor(args[0], args[1], loaded)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    # The handler's own output (EMF metrics, log lines) goes to stdout first; ours is the last line.
    print(json.dumps({"wall": wall, "cpu": cpu, "result": result}, default=str))


if __name__ == "__main__":
    main()
