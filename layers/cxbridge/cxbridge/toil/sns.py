"""New automation candidates as one SNS notice per report (e-mail, chat or a ticketing subscriber)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.core.errors import TransientFailure

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cxbridge.toil.rules import ToilReport, ToilRow


def _line(row: ToilRow) -> str:
    where = f" in queue {row.queue_id}" if row.queue_id else ""
    aht = row.current.aht_s or 0.0
    return (
        f"{row.disposition}{where}: {row.current.share * 100:.1f}% of calls, AHT {aht:.0f} s, "
        f"~{row.hours_saved_per_month:.0f} agent hours/month if automated"
    )


def notice(report: ToilReport, new: Sequence[ToilRow]) -> tuple[str, dict[str, Any]]:
    """The subject (ASCII, under SNS' 100 characters) and the JSON message for ``new`` candidates."""
    subject = f"cxbridge toil: {len(new)} new automation candidate(s), {report.period.last.isoformat()}"
    message = {
        "summary": "\n".join(_line(row) for row in new),
        "reportDate": report.period.last.isoformat(),
        "firstDate": report.period.first.isoformat(),
        "days": report.period.days,
        "scope": str(report.scope),
        "source": report.source,
        "newCandidates": [row.as_dict() for row in new],
    }
    return subject, message


class SnsCandidateNotifier:
    """``CandidateNotifier`` publishing to one SNS topic."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic = topic_arn

    def notify(self, report: ToilReport, new: Sequence[ToilRow]) -> None:
        subject, message = notice(report, new)
        try:
            self._client.publish(TopicArn=self._topic, Subject=subject, Message=json.dumps(message))
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"toil notice failed: {type(exc).__name__}") from None
