"""Workitem escalations as Step Functions executions: one Standard execution per workitem generation."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cxbridge.core.errors import TransientFailure

if TYPE_CHECKING:
    from cxbridge.workitems.workitem import EscalationState

# Stopping an execution that has already ended, or never existed, is what we wanted anyway.
_ALREADY_GONE = frozenset({"ExecutionDoesNotExist", "ExecutionAlreadyStopped"})


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN Step Functions gives the execution ``name`` of a state machine."""
    prefix, _, machine = state_machine_arn.partition(":stateMachine:")
    return f"{prefix}:execution:{machine}:{name}"


class SfnEscalationScheduler:
    """``EscalationScheduler`` on the workitem SLA state machine.

    ``state_machine_arn`` may be None in a function that only stops executions (the SLA step function:
    referring to the state machine that invokes it would make a dependency cycle).
    """

    def __init__(self, client: Any, state_machine_arn: str | None) -> None:
        self._client = client
        self._arn = state_machine_arn

    def start(self, name: str, state: EscalationState) -> str:
        if not self._arn:
            raise RuntimeError("WORKITEM_STATE_MACHINE_ARN is not set for this function")
        try:
            answer = self._client.start_execution(
                stateMachineArn=self._arn, name=name, input=json.dumps(state.as_input())
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return execution_arn(self._arn, name)  # a retry of a start that went through
            raise TransientFailure(f"escalation start failed: {type(exc).__name__}") from None
        except BotoCoreError as exc:
            raise TransientFailure(f"escalation start failed: {type(exc).__name__}") from None
        return str(answer["executionArn"])

    def stop(self, arn: str) -> None:
        try:
            self._client.stop_execution(executionArn=arn, cause="workitem closed or rescheduled")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in _ALREADY_GONE:
                raise TransientFailure(f"escalation stop failed: {type(exc).__name__}") from None
        except BotoCoreError as exc:
            raise TransientFailure(f"escalation stop failed: {type(exc).__name__}") from None
