"""The X-Ray tracer: AWS SDK and ``requests`` calls (CRM, Genesys, Control Room) become subsegments.

Handlers are decorated in one order: ``inject_lambda_context``, ``capture_lambda_handler``, ``log_metrics``.
``requests`` is patched when something first imports it, not here: patching imports it, and a handler
whose request never calls out over HTTP (a workitem read, the outbox) should not load it at cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools import Tracer
from wrapt import register_post_import_hook

if TYPE_CHECKING:
    from types import ModuleType

tracer = Tracer(patch_modules=["botocore"])


def _patch_requests(_module: ModuleType) -> None:
    tracer.patch(["requests"])


register_post_import_hook(_patch_requests, "requests")
