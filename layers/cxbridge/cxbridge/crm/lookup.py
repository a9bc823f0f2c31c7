"""Looking a customer up in the CRM: what is asked, what is answered, and the pure rules between.

A lookup is by one of three keys (a customer id, an account number, a phone number). Zero or several
matching records are answers (``notFound``, ``ambiguous``), not errors; ``fallback`` is what a caller
gets when the CRM could not answer in time (slow, throttling, breaker open). The value looked up is
customer data: it is never logged and a cache knows it only by a salted hash (``cache_key``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from enum import StrEnum


class LookupKind(StrEnum):
    """What a lookup value is; the names are the assist route's input fields."""

    CUSTOMER_ID = "customerId"
    ACCOUNT_NUMBER = "accountNumber"
    PHONE = "phone"


class LookupStatus(StrEnum):
    FOUND = "found"
    NOT_FOUND = "notFound"
    AMBIGUOUS = "ambiguous"
    FALLBACK = "fallback"


@dataclass(frozen=True, slots=True)
class LookupQuery:
    """One normalised lookup value (``phone`` in E.164). Its ``repr`` hides the value: it is customer data."""

    kind: LookupKind
    value: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class LookupResult:
    """The CRM's answer: the record's id and the configured fields when exactly one record matched."""

    status: LookupStatus
    record_id: str | None = None
    fields: dict[str, str] = field(default_factory=dict, repr=False)
    reason: str | None = None  # why a ``fallback``: a tag such as ``deadline`` or ``breaker-open``

    @property
    def cacheable(self) -> bool:
        """A CRM answer is kept; a ``fallback`` is no answer and must not hide the CRM's next one."""
        return self.status is not LookupStatus.FALLBACK


def fallback(reason: str) -> LookupResult:
    """No answer from the CRM in time; ``reason`` is a tag for logs and metrics."""
    return LookupResult(LookupStatus.FALLBACK, reason=reason)


def from_matches(records: list[tuple[str, dict[str, str]]]) -> LookupResult:
    """The answer for the records a query matched (id, configured fields), however many there were."""
    if not records:
        return LookupResult(LookupStatus.NOT_FOUND)
    if len(records) > 1:
        return LookupResult(LookupStatus.AMBIGUOUS)
    record_id, values = records[0]
    return LookupResult(LookupStatus.FOUND, record_id, values)


_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
_E164 = re.compile(r"\+[1-9]\d{6,14}")


def normalise_phone(text: str) -> str | None:
    """``text`` as E.164 (``+`` and 7 to 15 digits), or None when it is not an international number.

    Genesys may give a ``tel:`` URI (facts 2: the format is unconfirmed), people type spaces, dots,
    dashes and brackets, and ``00`` is the international prefix where ``+`` is not typed. A number
    without a country code is refused rather than guessed.
    """
    number = text.strip()
    if number.lower().startswith("tel:"):
        number = number[4:].split(";", 1)[0]
    number = _PHONE_PUNCTUATION.sub("", number)
    if number.startswith("00"):
        number = "+" + number[2:]
    return number if _E164.fullmatch(number) else None


def cache_key(salt: bytes, query: LookupQuery) -> str:
    """The name a cache keeps an answer under: a keyed hash (HMAC-SHA-256) of the kind and value.

    Without the salt, the hash of a phone number is found by hashing every phone number; with it, a
    table dump names nobody.
    """
    message = f"{query.kind.value}\x1f{query.value}".encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()


class LookupUnsupported(Exception):
    """The CRM is not configured to look customers up by this kind of value (a configuration gap)."""

    def __init__(self, kind: LookupKind) -> None:
        super().__init__(f"no lookup configured for {kind.value}")
        self.kind = kind
