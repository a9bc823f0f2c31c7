"""A receive that costs what SQS's does, which moto's does not.

moto's ``receive_message`` checks each message it hands out against the queue's retention period by
building the queue's full attribute map, twice, and that map counts every message in the queue three
times (visible, in flight, delayed): one batch of 10 from a queue holding n messages walks them about 60
times. With the thousands of in-flight and delayed jobs of a 10,000-call ``make faults`` run, SQS
receives took 28 % of the stack process's time. Reading the retention period directly gives the same
answer.
"""

from __future__ import annotations

from typing import Any


def make_sqs_receive_linear() -> None:
    """Replace moto's per-message retention check with one that reads the queue's setting (idempotent)."""
    from moto.core.utils import unix_time  # noqa: PLC0415 - moto is a local and test dependency
    from moto.sqs.models import SQSBackend  # noqa: PLC0415

    if getattr(SQSBackend.is_message_valid_based_on_retention_period, "linear", False):
        return

    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Any) -> bool:
        retention_s = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
        return bool(retention_s + message.sent_timestamp / 1000 > unix_time())

    is_message_valid_based_on_retention_period.linear = True  # type: ignore[attr-defined]
    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]
