"""The workitems API's routes: ``POST|GET|PATCH /workitems``, the capture point for source systems.

The entry glue of the feature (the handler in ``functions/workitems_api`` only wraps ``app``); the whole
API's document is generated from these routes by ``make openapi``. Routes and bodies are validated by
Powertools from the models; ``rest.resolver`` turns every error into our JSON body (400 naming the
fields, 404, 409, 503 with ``Retry-After``).
"""

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import AwareDatetime

from cxbridge.core import rest
from cxbridge.core.identity import WORKITEMS_READ, WORKITEMS_WRITE, caller_of
from cxbridge.core.observability import logger
from cxbridge.workitems import wiring
from cxbridge.workitems.models import CaptureRequest, ChangeRequest, WorkitemPage, WorkitemView
from cxbridge.workitems.workitem import LifecycleAction, StatusCategory, WorkitemQuery

WorkitemId = Annotated[str, Path(min_length=36, max_length=36, description="Our workitem id.")]

app = rest.resolver(union_tags=frozenset(LifecycleAction))
READ, WRITE = rest.requires(WORKITEMS_READ), rest.requires(WORKITEMS_WRITE)


def owner() -> str:
    """The calling source system (its token's client id): the only owner whose workitems it may touch."""
    return caller_of(app.current_event.raw_event).client_id


@app.post(
    "/workitems",
    summary="Capture a workitem (idempotent on the caller + sourceId)",
    security=WRITE,
    responses={
        201: {"description": "Created in Genesys Cloud."},
        200: {"description": "Captured before: the same workitem."},
        **rest.error_responses(400, 401, 415, 502, 503),
    },
)
def capture(request: Annotated[CaptureRequest, Body()]) -> Response[WorkitemView]:
    record, created = wiring.workitem_service().capture(owner(), request)
    logger.append_keys(workitemId=record.workitem_id)
    return Response(201 if created else 200, content_types.APPLICATION_JSON, WorkitemView.of(record))


@app.get(
    "/workitems",
    summary="The caller's task list, by queue or status, due date first",
    security=READ,
    responses={200: {"description": "One page; pass nextToken for the next."}, **rest.error_responses(400, 401, 503)},
)
def task_list(
    queue: Annotated[str | None, Query(max_length=64, description="Genesys queue id.")] = None,
    status: Annotated[StatusCategory | None, Query(description="Genesys status category.")] = None,
    dueBefore: Annotated[AwareDatetime | None, Query(description="Only workitems due before this.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    nextToken: Annotated[str | None, Query(max_length=2048)] = None,
) -> WorkitemPage:
    query = WorkitemQuery(owner(), queue, status, dueBefore, limit, nextToken)
    rows, token = wiring.workitem_service().page(query)
    return WorkitemPage(items=[WorkitemView.of(r) for r in rows], nextToken=token)


@app.get(
    "/workitems/<workitemId>",
    summary="One of the caller's workitems",
    security=READ,
    responses={200: {"description": "The workitem."}, **rest.error_responses(400, 401, 404, 503)},
)
def get_workitem(workitemId: WorkitemId) -> WorkitemView:
    logger.append_keys(workitemId=workitemId)
    return WorkitemView.of(wiring.workitem_service().get(owner(), workitemId))


@app.patch(
    "/workitems/<workitemId>",
    summary="Update, pause, resume, cancel or complete one of the caller's workitems",
    security=WRITE,
    responses={
        200: {"description": "The workitem after the change."},
        **rest.error_responses(400, 401, 404, 409, 415, 502, 503),
    },
)
def change_workitem(
    workitemId: WorkitemId,
    change: Annotated[ChangeRequest, Body()],
) -> WorkitemView:
    logger.append_keys(workitemId=workitemId, action=change.action)
    return WorkitemView.of(wiring.workitem_service().change(owner(), workitemId, change))
