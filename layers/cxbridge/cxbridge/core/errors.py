"""Typed errors. The domain and services raise these; one place (``apigw``) maps them to HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of a request, named by its dotted path."""

    field: str
    message: str


@dataclass
class RequestRejected(Exception):
    """The client sent something we will not process; retrying the same request cannot succeed."""

    status: int
    reason: str
    message: str
    errors: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.reason}: {self.message}"


class InvalidRequest(RequestRejected):
    """400: the body does not match the expected schema."""

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(400, "invalid_request", message, errors or [])


class PayloadTooLarge(RequestRejected):
    """413: the body is over the stated limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "payload_too_large", f"body is larger than {limit} bytes")


class UnsupportedMediaType(RequestRejected):
    """415: the body is not JSON."""

    def __init__(self, content_type: str | None) -> None:
        shown = content_type or "none"
        super().__init__(415, "unsupported_media_type", f"Content-Type must be application/json, got {shown}")


class TransientFailure(Exception):
    """A dependency failed in a way that a retry of the same request can fix (503 to HTTP callers)."""


class VersionConflict(Exception):
    """Someone else wrote the record between our read and our conditional write; read and merge again."""
