"""Call-record stream → transcript queue: one job when a call ends (its customer or webhook end arrives).

Partial batch responses: a record that could not be queued is retried from the stream without re-running
the rest; after the retry limit it goes to the on-failure destination.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cxbridge.calls.store import stream_change
from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.transcripts import wiring

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    change = stream_change(record.raw_event)
    if change is None:
        return  # a TTL expiry or delete: nothing to relay
    job = wiring.transcript_outbox().relay(*change)
    if job is not None:
        metrics.add_metric(name="TranscriptJobsQueued", unit=MetricUnit.Count, value=1)
        logger.info("transcript job queued", extra={"conversationId": job.conversationId})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
