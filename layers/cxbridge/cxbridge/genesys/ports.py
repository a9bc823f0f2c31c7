"""What features need of Genesys, as small interfaces: the CRM worker and the toil report both name wrap-up codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class DispositionResolver(Protocol):
    """Wrap-up code id → the name a CRM shows."""

    def resolve(self, code_id: str) -> str:
        """The name; raises ``UpstreamFailure`` when it cannot be known now."""
        ...


@dataclass(frozen=True, slots=True)
class CustomerIdentity:
    """Who the customer of a conversation is, as Genesys knows it: customer data, never logged or stored."""

    address: str | None = field(default=None, repr=False)  # the customer's number (a ``tel:`` URI or bare)
    external_contact_id: str | None = field(default=None, repr=False)


class ConversationCustomers(Protocol):
    """A conversation's customer, read from Genesys when it is needed (contact linking)."""

    def get_customer(self, conversation_id: str) -> CustomerIdentity | None:
        """None when Genesys knows no such conversation or customer; raises ``UpstreamFailure`` otherwise."""
        ...
