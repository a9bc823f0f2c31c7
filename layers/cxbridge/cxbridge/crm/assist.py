"""The agent-assist route's contract: what a Genesys data action sends to ``POST /assist/lookup`` and gets back.

Input ``{customerId?, accountNumber?, phone?}``: one is needed; when several are sent, the most specific
is used (customer id, then account number, then phone). A data action's template renders an input the
flow left unset as an empty string, so empty means absent. Output: a flat object of strings, ``status``
(found, notFound, ambiguous, fallback), ``recordId`` (empty unless found) and the CRM fields the lookup
is configured to read (present only when the CRM has a value).
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cxbridge.crm.lookup import LookupKind, LookupQuery, LookupResult, LookupStatus, normalise_phone

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,63}$"


class AssistLookupRequest(BaseModel):
    """The data action's input; values are customer data, so errors never echo them."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True, str_strip_whitespace=True)

    customerId: str | None = Field(default=None, pattern=ID_PATTERN, description="the CRM's customer id")
    accountNumber: str | None = Field(default=None, pattern=ID_PATTERN, description="an account number")
    phone: str | None = Field(default=None, max_length=40, description="a phone number with its country code")

    @field_validator("customerId", "accountNumber", "phone", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        number = normalise_phone(value)
        if number is None:
            raise ValueError("not an international phone number (E.164: + and country code)")
        return number

    @model_validator(mode="after")
    def _one_key(self) -> Self:
        if self.customerId is None and self.accountNumber is None and self.phone is None:
            raise ValueError("one of customerId, accountNumber, phone is required")
        return self

    def query(self) -> LookupQuery:
        if self.customerId is not None:
            return LookupQuery(LookupKind.CUSTOMER_ID, self.customerId)
        if self.accountNumber is not None:
            return LookupQuery(LookupKind.ACCOUNT_NUMBER, self.accountNumber)
        return LookupQuery(LookupKind.PHONE, self.phone or "")


class AssistLookupAnswer(BaseModel):
    """The route's answer (always 200 for a valid request): flat, every value a string."""

    model_config = ConfigDict(extra="allow")

    status: LookupStatus
    recordId: str = Field(description="the CRM record's id when found, else empty")

    @classmethod
    def of(cls, result: LookupResult) -> AssistLookupAnswer:
        return cls(status=result.status, recordId=result.record_id or "", **result.fields)
