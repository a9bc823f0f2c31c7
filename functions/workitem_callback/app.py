"""Workitem callback queue → the source systems: each closed workitem's outcome POSTed to its callback URL.

Partial batch responses: a job that was postponed (backoff) is reported as a batch item failure, so the
others are not sent again; after the queue's receive count it moves to the dead-letter queue.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cxbridge.core.observability import logger, metrics, tracer
from cxbridge.workitems import wiring
from cxbridge.workitems.models import CallbackJob

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class Postponed(Exception):
    """The job stays on the queue until its backoff has passed."""


def record_handler(record: SQSRecord) -> None:
    job = CallbackJob.model_validate_json(record.body)
    receives = int(record.attributes.approximate_receive_count)
    if not wiring.callback_service().deliver(job, receives, record.receipt_handle):
        metrics.add_metric(name="CallbacksPostponed", unit=MetricUnit.Count, value=1)
        raise Postponed(job.workitemId)
    metrics.add_metric(name="CallbacksDone", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
