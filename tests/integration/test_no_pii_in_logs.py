"""No phone number, e-mail, card number, SSN or note text reaches a log line, on any path."""

from __future__ import annotations

import io
import json
import logging
from typing import TYPE_CHECKING, Any

import pytest

from cxbridge.core.masking import mask_text
from cxbridge.core.observability import logger, mask_value
from scripts.build_events import api_gateway_event, route_of
from tests.builders import all_bodies, body, request

if TYPE_CHECKING:
    from tests.integration.conftest import Stack

PII = [
    "+13175550142",
    "3175550142",
    "+1 (317) 555-0142",
    "8675309",
    "jane.roe@example.com",
    "4111 1111 1111 1111",
    "4111111111111111",
    "078-05-1120",
    "Jane Roe asked about invoice",
]


def with_pii(data: dict[str, Any]) -> dict[str, Any]:
    """The body with PII in every contact field and the notes."""
    target = data["detail"]["eventBody"] if "detail" in data else data
    for key in ("ani", "dnis", "addressFrom", "addressTo", "callbackUserName"):
        target[key] = f"tel:{PII[0]}"
    target["callbackNumbers"] = [PII[3], PII[2]]
    target["wrapupNotes"] = f"{PII[8]}; mail {PII[4]}; card {PII[5]}; ssn {PII[7]}"
    return data


def assert_clean(output: str) -> None:
    assert output.strip(), "nothing was logged; the test would prove nothing"
    for secret in PII:
        assert secret not in output, f"{secret!r} leaked into logs"
    for digits in ("3175550142", "4111111111111111", "078051120"):
        assert digits not in output.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")


@pytest.fixture
def logs() -> Any:
    """Everything the functions' logger writes, through its real (masking) handler and formatter."""
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    logger.setLevel(logging.DEBUG)
    yield buffer
    logger.setLevel(logging.INFO)
    handler.setStream(previous)


def test_accepted_events_log_no_pii(stack: Stack, logs: io.StringIO) -> None:
    for stem, data in all_bodies().items():
        path, function = route_of(stem)
        assert stack.invoke(function, api_gateway_event(path, with_pii(data)))["statusCode"] == 202
    stack.relay()
    out = logs.getvalue()
    assert '"conversationId"' in out
    assert_clean(out)


def test_rejected_events_log_no_pii(stack: Stack, logs: io.StringIO) -> None:
    bad = with_pii(body("acw-a"))
    bad["eventTime"] = PII[0]  # PII in a field that fails validation
    bad["wrapupDurationMs"] = PII[4]
    response = stack.invoke("ingest_acw", request("/genesys/conversations/acw", bad))
    assert response["statusCode"] == 400
    out = logs.getvalue()
    assert "request rejected" in out
    assert_clean(out + response["body"])


def test_unexpected_errors_log_masked_exceptions(
    stack: Stack, logs: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxbridge.calls import wiring

    def explode(*_: Any) -> Any:
        raise RuntimeError(f"failed for caller {PII[0]} <{PII[4]}> card {PII[5]} ssn {PII[7]}")

    monkeypatch.setattr(wiring.ingest_service(), "ingest", explode)
    response = stack.invoke("ingest_acw", request("/genesys/conversations/acw", body("acw-a")))
    assert response["statusCode"] == 500
    out = logs.getvalue()
    assert "RuntimeError" in out
    assert_clean(out + response["body"])


def test_logger_masks_sensitive_keys_and_patterns_in_extra_fields(logs: io.StringIO) -> None:
    logger.info("contact", extra={"ani": "anything", "note": f"call {PII[2]}", "nested": {"e": [PII[4]]}})
    line = json.loads(logs.getvalue().strip().splitlines()[-1])
    assert line["ani"] == "***"
    assert line["note"] == "call ***"
    assert line["nested"] == {"e": ["***"]}


@pytest.mark.parametrize(
    "text",
    ["2026-11-23T18:31:07.123Z", "took 1234 ms", "v9.2", "4cbedb0f-4dfd-4c8e-9e57-0acded092527", "HTTP 429"],
)
def test_masking_keeps_dates_ids_and_small_numbers_readable(text: str) -> None:
    assert mask_text(text) == text


def test_mask_value_keeps_correlation_ids() -> None:
    assert mask_value({"correlation_id": "1234567890"}) == {"correlation_id": "1234567890"}
