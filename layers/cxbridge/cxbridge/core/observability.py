"""Logger and Metrics created once per process, with PII masking applied to every log line.

The masking runs on the finished log record (message, extra keys and the formatted exception), so
nothing a handler or a library logs through this logger can carry a phone number, an e-mail address,
a card number, an SSN or free text out of the function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from cxbridge.core.masking import MASK, mask_text

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer
    from aws_lambda_powertools.logging.types import PowertoolsLogRecord

METRICS_NAMESPACE = "cxbridge"

# Genesys fields that carry customer contact data or agent free text: masked whatever their value.
SENSITIVE_KEYS = frozenset(
    {
        "ani",
        "dnis",
        "addressFrom",
        "addressTo",
        "callbackNumbers",
        "callbackUserName",
        "wrapupNotes",
        "subject",
        "notes",
        "email",
        "phone",
        "body",
    }
)
# Keys that Powertools or we fill with machine values; scanning them would only mangle dates and ids.
_TRUSTED_KEYS = frozenset(
    {
        "level",
        "location",
        "timestamp",
        "service",
        "sampling_rate",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "xray_trace_id",
        "correlation_id",
        "conversationId",
        "eventType",
        "workitemId",
        "genesysWorkitemId",
        "deploymentId",
    }
)


def mask_value(value: Any, key: str | None = None) -> Any:
    """Mask a log value recursively: sensitive keys wholesale, every other string by pattern."""
    if key in SENSITIVE_KEYS:
        return MASK
    if key in _TRUSTED_KEYS or value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {k: mask_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_value(v) for v in value]
    # A string, or anything serialised with str() (an exception object, a UUID, a model): mask its text.
    return mask_text(str(value))


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools JSON formatter whose output has passed through ``mask_value``."""

    def serialize(self, log: dict[str, Any] | PowertoolsLogRecord) -> str:
        return super().serialize(mask_value(log))


logger = Logger(logger_formatter=MaskingFormatter(), log_uncaught_exceptions=False)
metrics = Metrics(namespace=METRICS_NAMESPACE)


def __getattr__(name: str) -> Tracer:
    """``tracer`` is built on first use: creating it imports the X-Ray SDK (~150 ms of cold start), which
    the ingest functions skip to stay within their budget (Lambda's active tracing still traces them)."""
    if name == "tracer":
        from cxbridge.core.tracing import tracer  # noqa: PLC0415 - the point is to import it late

        return tracer
    raise AttributeError(name)
