"""A Lambda context object for invoking handlers in-process (tests, local stack, benchmarks)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field


@dataclass
class LocalContext:
    """The attributes Powertools and our handlers read from a Lambda context."""

    function_name: str = "cxbridge-local"
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/cxbridge-local"
    log_stream_name: str = "local"
    timeout_ms: int = 60_000  # the function's Timeout
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        """Time left of the function's timeout since the invocation started, as Lambda counts it."""
        return max(0, self.timeout_ms - int((time.monotonic() - self.started) * 1000))
