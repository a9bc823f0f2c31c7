"""PII fuzzing on the workitem path: generated phone numbers, e-mails, card numbers and SSNs in every
free-text field a source system sends; no log line of the API, the close or the sync-back contains one."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.workitems.conftest import capture_body
from tests.pii import captured, digits_of, pii

if TYPE_CHECKING:
    from local.workitems import WorkitemStack
    from tests.unit.adapters.support import CallbackReceiver

_case = itertools.count()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(secret=pii, break_it=st.booleans())
def test_no_generated_pii_in_a_workitem_reaches_a_log_line(
    stack: WorkitemStack, receiver: CallbackReceiver, secret: str, break_it: bool
) -> None:
    body = capture_body(
        receiver,
        sourceId=f"CASE-{next(_case)}",
        name=f"Claim of {secret}",
        description=f"Call the customer on {secret}",
        customFields={"claim_id_identifier": secret},
    )
    if break_it:  # rejected: the PII sits next to a field that fails validation
        body["priority"] = secret

    def run() -> None:
        status, answer = stack.api("POST", "/workitems", body)
        assert status == (400 if break_it else 201), answer
        assert secret not in str(answer.get("errors", ""))
        if not break_it:
            path = f"/workitems/{answer['id']}"
            assert stack.api("PATCH", path, {"action": "update", "description": f"Now {secret}"})[0] == 200
            assert stack.api("PATCH", path, {"action": "complete"})[0] == 200
            assert stack.run_callbacks()["batchItemFailures"] == []

    out = captured(run)
    assert out.strip()
    assert secret not in out
    if len(digits_of(secret)) >= 9:
        assert digits_of(secret) not in digits_of(out)
