"""Move dead-lettered messages back to the queue they came from (SQS ``StartMessageMoveTask``).

    python -m scripts.redrive --stack cxbridge [--queue crm-sync|ingest] [--rate 10] [--status]

The CRM-sync worker upserts by conversation id and skips calls already synced, so redriving a message
whose call was written meanwhile costs one read and no CRM call.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import boto3

OUTPUTS = {"crm-sync": "CrmSyncDeadLetterQueueUrl", "ingest": "IngestDeadLetterQueueUrl"}


def dead_letter_queue_arn(cloudformation: Any, sqs: Any, stack: str, queue: str) -> str:
    """The ARN of a dead-letter queue, found through the stack's outputs."""
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    url = next(o["OutputValue"] for o in outputs if o["OutputKey"] == OUTPUTS[queue])
    arn: str = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return arn


def redrive(sqs: Any, source_arn: str, rate: int | None) -> dict[str, Any]:
    """Start moving every message of ``source_arn`` back to its original source queue."""
    args: dict[str, Any] = {"SourceArn": source_arn}
    if rate:
        args["MaxNumberOfMessagesPerSecond"] = rate
    result: dict[str, Any] = sqs.start_message_move_task(**args)
    return result


def move_by_hand(sqs: Any, dead_letter_url: str, destination_url: str) -> int:
    """Receive, re-send and delete each dead letter: for emulators without ``StartMessageMoveTask``."""
    moved = 0
    while messages := sqs.receive_message(
        QueueUrl=dead_letter_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        for m in messages:
            attributes = m.get("MessageAttributes", {})
            sqs.send_message(QueueUrl=destination_url, MessageBody=m["Body"], MessageAttributes=attributes)
            sqs.delete_message(QueueUrl=dead_letter_url, ReceiptHandle=m["ReceiptHandle"])
            moved += 1
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="cxbridge", help="CloudFormation stack name")
    parser.add_argument("--queue", choices=sorted(OUTPUTS), default="crm-sync")
    parser.add_argument("--rate", type=int, help="messages per second (default: as fast as SQS allows)")
    parser.add_argument("--status", action="store_true", help="show the move tasks instead of starting one")
    args = parser.parse_args(argv)
    sqs = boto3.client("sqs")
    arn = dead_letter_queue_arn(boto3.client("cloudformation"), sqs, args.stack, args.queue)
    if args.status:
        print(json.dumps(sqs.list_message_move_tasks(SourceArn=arn).get("Results", []), indent=2, default=str))
    else:
        print(json.dumps(redrive(sqs, arn, args.rate), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
