"""One cold start, run by ``bench.cold_start`` in the Lambda-like venv: prints its seconds as JSON.

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


def handler(event: dict[str, Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    import app  # type: ignore[import-not-found]  # the function's folder, first on the path as /var/task

    result = app.lambda_handler(event, _Context())
    return time.perf_counter() - start, result


def floor(service: str, operation: str, params: dict[str, Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    import boto3

    result = getattr(boto3.client(service), operation)(**params)  # type: ignore[call-overload]
    return time.perf_counter() - start, None if result is None else sorted(result)


def import_only(module: str) -> tuple[float, Any]:
    start = time.perf_counter()
    __import__(module)
    return time.perf_counter() - start, None


def main() -> None:
    mode, *args = sys.argv[1:]
    if mode == "import":
        seconds, result = import_only(args[0])
    else:
        with open(args[-1]) as f:
            loaded = json.load(f)
        seconds, result = handler(loaded) if mode == "handler" else floor(args[0], args[1], loaded)
    # The handler's own output (EMF metrics, log lines) goes to stdout first; ours is the last line.
    print(json.dumps({"seconds": seconds, "result": result}, default=str))


if __name__ == "__main__":
    main()
