"""Supervisor alerts on an SNS topic (e-mail, chat or paging subscriptions are the operators' choice)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.core.errors import TransientFailure
from cxbridge.core.observability import metrics
from cxbridge.workitems.workitem import utc_iso

if TYPE_CHECKING:
    from cxbridge.workitems.workitem import SupervisorAlert


class SnsSupervisorNotifier:
    """``SupervisorNotifier`` on a topic; the message is JSON with ids and dates only."""

    def __init__(self, client: Any, topic_arn: str) -> None:
        self._client = client
        self._topic = topic_arn

    def notify(self, alert: SupervisorAlert) -> None:
        message = {
            "workitemId": alert.workitem_id,
            "genesysWorkitemId": alert.genesys_id,
            "worktype": alert.worktype,
            "step": alert.step,
            "dateDue": utc_iso(alert.date_due),
            "queueId": alert.queue_id,
            "workbinId": alert.workbin_id,
        }
        try:
            self._client.publish(
                TopicArn=self._topic,
                Subject=f"Workitem escalated ({alert.step}): {alert.worktype}"[:100],
                Message=json.dumps(message),
                MessageAttributes={
                    "worktype": {"DataType": "String", "StringValue": alert.worktype},
                    "step": {"DataType": "String", "StringValue": alert.step},
                },
            )
        except (ClientError, BotoCoreError) as exc:
            raise TransientFailure(f"supervisor alert failed: {type(exc).__name__}") from None
        # Supervisors are told on the last rung (the SLA is spent): that is what the dashboard counts as a breach.
        metrics.add_metric(name="SlaBreaches", unit=MetricUnit.Count, value=1)
