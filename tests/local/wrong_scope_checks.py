"""A schemathesis check for runs made with a token that lacks the operations' scope: every answer is 401."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.check
def refused_for_the_wrong_scope(ctx: Any, response: Any, case: Any) -> None:
    """API Gateway's Cognito authorizer answers 401 to a valid token without the method's scope (a method
    the route does not declare, which schemathesis also tries, is API Gateway's 403 before any check)."""
    if case.method.upper() != case.operation.method.upper():
        return
    if response.status_code != 401:
        raise AssertionError(f"a token without the scope got {response.status_code}, not 401")
