"""The X-Ray tracer: AWS SDK and ``requests`` calls (CRM, Genesys, Control Room) become subsegments.

Handlers are decorated in one order: ``inject_lambda_context``, ``capture_lambda_handler``, ``log_metrics``.
"""

from __future__ import annotations

from aws_lambda_powertools import Tracer

tracer = Tracer(patch_modules=["botocore", "requests"])
