"""PII fuzzing: generated phone numbers, e-mails, card numbers and SSNs in every string field of every
sample event, on accepted and rejected paths; no log line of any function may contain one."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxbridge.observability import logger
from scripts.build_events import api_gateway_event, route_of
from tests.builders import all_bodies

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.integration.conftest import Stack

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


phones = st.builds(
    lambda cc, area, a, b, style: style.format(cc=cc, area=area, a=a, b=b),
    st.sampled_from(["+1", "+44", "+49", "1", ""]),
    st.integers(200, 989).map(str),
    st.integers(200, 999).map(str),
    st.integers(1000, 9999).map(str),
    st.sampled_from(["{cc}{area}{a}{b}", "{cc} ({area}) {a}-{b}", "tel:{cc}{area}{a}{b}", "{area}.{a}.{b}"]),
)
emails = st.builds(
    lambda user, host, tld: f"{user}@{host}.{tld}",
    st.from_regex(r"[a-z][a-z0-9._]{1,12}", fullmatch=True),
    st.from_regex(r"[a-z]{2,10}", fullmatch=True),
    st.sampled_from(["com", "ie", "co.uk", "org"]),
)
cards = st.from_regex(r"4[0-9]{15}", fullmatch=True).filter(_luhn_ok)
ssns = st.builds(
    lambda a, b, c: f"{a:03d}-{b:02d}-{c:04d}", st.integers(1, 665), st.integers(1, 99), st.integers(1, 9999)
)
pii = st.one_of(phones, emails, cards, ssns)


def _with(value: Any, secret: str) -> Any:
    """Every string in the body replaced by ``secret`` (keys that identify the event keep theirs)."""
    if isinstance(value, dict):
        keep = {"conversationId", "topicName", "detail-type", "eventType", "callId"}
        return {k: (v if k in keep else _with(v, secret)) for k, v in value.items()}
    if isinstance(value, list):
        return [_with(v, secret) for v in value]
    return secret if isinstance(value, str) else value


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _captured(run: Callable[[], None]) -> str:
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    logger.setLevel(logging.DEBUG)
    try:
        run()
    finally:
        logger.setLevel(logging.INFO)
        handler.setStream(previous)
    return buffer.getvalue()


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

    out = _captured(run)
    assert out.strip()
    assert secret not in out
    if len(_digits(secret)) >= 9:
        assert _digits(secret) not in _digits(out.replace(body_id(body), ""))


def body_id(body: dict[str, Any]) -> str:
    """The conversation id, whose digits may legitimately appear in logs."""
    target = body["detail"]["eventBody"] if "detail" in body else body
    return str(target.get("conversationId") or target.get("callId") or "")
