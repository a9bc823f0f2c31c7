"""What the toil functions accept: the report route's query string and the schedule's event."""

# No ``from __future__ import annotations``: pydantic evaluates annotations at class creation, and strings
# are compiled there, at cold start (docs/decisions.md, issue 15).

import datetime as dt
import re
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from cxbridge.core.apigw import field_errors, wants_html
from cxbridge.core.errors import InvalidRequest
from cxbridge.toil.rules import MAX_DAYS, Scope

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    """Only ``YYYY-MM-DD``: pydantic alone would also take epoch seconds for a date."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return value


class ReportQuery(BaseModel):
    """``GET /toil/report?date=YYYY-MM-DD&days=1..31&scope=org|queue&format=json|html``; ``date`` is the
    period's last day; without ``format``, ``Accept: text/html`` asks for the page."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    date: dt.date | None = None
    days: int = Field(default=1, ge=1, le=MAX_DAYS)
    scope: Scope = Scope.ORG
    format: Literal["json", "html"] | None = None

    _check_date = field_validator("date", mode="before")(_iso_day)

    def html(self, event: dict[str, Any]) -> bool:
        """The page, not the JSON document: ``format=html``, or no ``format`` and a browser's ``Accept``."""
        return self.format == "html" or (self.format is None and wants_html(event))

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Self:
        """The query of an API Gateway proxy event; ``InvalidRequest`` names each bad parameter."""
        try:
            return cls.model_validate(event.get("queryStringParameters") or {})
        except ValidationError as exc:
            raise InvalidRequest("invalid query parameters", field_errors(exc)) from None


class ScheduledRun(BaseModel):
    """An EventBridge Scheduler / scheduled-rule event, or a manual invoke ``{"date": "YYYY-MM-DD"}``.

    The report is for the day before the schedule fired (``time``), so a delayed or retried invocation
    still reports the day it was meant for; an explicit ``date`` (a backfill) wins.
    """

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    date: dt.date | None = None
    time: AwareDatetime | None = None

    _check_date = field_validator("date", mode="before")(_iso_day)

    def report_day(self) -> dt.date | None:
        """The day to report, or None to let the service take yesterday."""
        if self.date is not None:
            return self.date
        if self.time is None:
            return None
        return self.time.astimezone(dt.UTC).date() - dt.timedelta(days=1)
