"""SQS transcript queue → Genesys STA → redacted note on the call's CRM record, once; or wait, or "none".

A job whose transcript is not there yet is hidden again for a growing wait (``ChangeMessageVisibility``)
and reported as a batch item failure, so the batch's other jobs are not run again.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.transcripts import wiring
from cxbridge.transcripts.service import ReceivedJob, run_batch

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
METRICS = {
    "attached": "TranscriptsAttached",
    "late": "TranscriptsLate",
    "no_transcript": "TranscriptsMissing",
    "skipped": "TranscriptsSkipped",
    "retry": "TranscriptsWaiting",
    "failed": "TranscriptsDeadLettered",
}


class KeptOnQueue(Exception):
    """The job stays on the queue (its transcript is not there yet, or it could not be moved)."""


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    jobs = [
        ReceivedJob(r.message_id, r.receipt_handle, r.body, int(r.attributes.approximate_receive_count))
        for r in (SQSRecord(raw) for raw in event["Records"])
    ]
    keep, counts = run_batch(jobs, wiring.transcript_service(), wiring.queue_actions())
    for key, name in METRICS.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=counts[key])
    for key, count in counts.items():
        if key.startswith("no_transcript:"):
            logger.info("no transcript", extra={"reason": key.split(":", 1)[1], "calls": count})

    def record_handler(record: SQSRecord) -> None:
        if record.message_id in keep:
            raise KeptOnQueue(record.message_id)

    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
