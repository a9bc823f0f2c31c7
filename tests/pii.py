"""Generated PII (phone numbers, e-mails, card numbers, SSNs) and log capture, for the PII fuzz tests."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

from hypothesis import strategies as st

from cxbridge.core.observability import logger

if TYPE_CHECKING:
    from collections.abc import Callable


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


def digits_of(text: str) -> str:
    """Only the digits: a card number or SSN must not appear even with other separators."""
    return "".join(c for c in text if c.isdigit())


def captured(run: Callable[[], None]) -> str:
    """Everything our logger writes (at DEBUG, the most it ever says) while ``run`` runs."""
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
