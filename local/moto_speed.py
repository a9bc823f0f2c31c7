"""Two per-request costs of moto's server that AWS does not have, removed for the local stack.

The stack's one process runs moto, the event sources and the HTTP front, so moto's overhead caps how
many events a minute ``make faults`` gets through (profiled at 2,000-3,000 events of a 10,000-call run):

- ``receive_message`` checks each message it hands out against the queue's retention period by building
  the queue's full attribute map, twice, and that map counts every message in the queue three times: one
  batch of 10 from a queue of n messages walks them about 60 times (28 % of the process). Reading the
  retention period directly gives the same answer.
- every request finds its service by listing moto's package directory and calling ``isdir`` on each of
  its ~200 entries (14 %). The directory does not change while the server runs: it is listed once.
"""

from __future__ import annotations

from typing import Any


def make_moto_faster() -> None:
    """Apply both changes (idempotent)."""
    from moto import backends  # noqa: PLC0415 - moto is a local and test dependency
    from moto.core.utils import unix_time  # noqa: PLC0415
    from moto.sqs.models import SQSBackend  # noqa: PLC0415

    if getattr(SQSBackend.is_message_valid_based_on_retention_period, "direct", False):
        return

    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Any) -> bool:
        retention_s = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
        return bool(retention_s + message.sent_timestamp / 1000 > unix_time())

    is_message_valid_based_on_retention_period.direct = True  # type: ignore[attr-defined]
    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]

    modules = frozenset(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules
