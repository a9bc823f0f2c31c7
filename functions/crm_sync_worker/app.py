"""SQS CRM-sync queue → the CRM: a batch in, each message done, delayed (backoff) or dead-lettered.

Powertools' batch processor shapes the partial response: a message the service kept on the queue is
reported as a batch item failure, so the batch's good messages are not run again.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.crm import wiring
from cxbridge.crm.worker import ReceivedMessage, run_batch

# A batch where every message is delayed (the CRM throttles) is normal, not an invocation error.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
METRICS = {
    "written": "RecordsWritten",
    "retried": "Retried",
    "throttled": "Throttled",
    "dead_lettered": "DeadLettered",
    "deferred": "DeferredForTime",
}


class KeptOnQueue(Exception):
    """The message stays on the queue (it was delayed for a retry, or could not be moved)."""


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    messages = [
        ReceivedMessage(r.message_id, r.receipt_handle, r.body, int(r.attributes.approximate_receive_count))
        for r in (SQSRecord(raw) for raw in event["Records"])
    ]
    service = wiring.crm_sync_service()
    requests_before = service.crm_requests
    outcome = run_batch(messages, service, wiring.queue_actions(), context.get_remaining_time_in_millis)
    for key, name in METRICS.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=outcome.counts[key])
    metrics.add_metric(name="CrmRequests", unit=MetricUnit.Count, value=service.crm_requests - requests_before)
    metrics.add_metric(name="BreakerOpen", unit=MetricUnit.Count, value=outcome.counts["breaker_open"])

    def record_handler(record: SQSRecord) -> None:
        if record.message_id in outcome.keep:
            raise KeptOnQueue(record.message_id)

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
