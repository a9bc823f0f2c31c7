"""PII fuzzing: generated phone numbers, e-mails, card numbers and SSNs in every string field of every
sample event, on accepted and rejected paths; no log line of any function may contain one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scripts.build_events import api_gateway_event, route_of
from tests.builders import all_bodies
from tests.pii import captured, digits_of, pii

if TYPE_CHECKING:
    from tests.integration.conftest import Stack


def _with(value: Any, secret: str) -> Any:
    """Every string in the body replaced by ``secret`` (keys that identify the event keep theirs)."""
    if isinstance(value, dict):
        keep = {"conversationId", "topicName", "detail-type", "eventType", "callId"}
        return {k: (v if k in keep else _with(v, secret)) for k, v in value.items()}
    if isinstance(value, list):
        return [_with(v, secret) for v in value]
    return secret if isinstance(value, str) else value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=pii, stem=st.sampled_from(sorted(all_bodies())), break_it=st.booleans())
def test_no_generated_pii_reaches_a_log_line(stack: Stack, secret: str, stem: str, break_it: bool) -> None:
    path, function = route_of(stem)
    body = _with(all_bodies()[stem], secret)
    if break_it:  # a rejected event: the PII sits in fields that fail validation
        target = body["detail"]["eventBody"] if "detail" in body else body
        target["eventTime"] = secret
        target["timestamp"] = secret

    def run() -> None:
        response = stack.invoke(function, api_gateway_event(path, body))
        assert response["statusCode"] in {202, 400}
        assert secret not in response["body"]
        stack.relay()

    out = captured(run)
    assert out.strip()
    assert secret not in out
    if len(digits_of(secret)) >= 9:
        assert digits_of(secret) not in digits_of(out.replace(body_id(body), ""))


def body_id(body: dict[str, Any]) -> str:
    """The conversation id, whose digits may legitimately appear in logs."""
    target = body["detail"]["eventBody"] if "detail" in body else body
    return str(target.get("conversationId") or target.get("callId") or "")
