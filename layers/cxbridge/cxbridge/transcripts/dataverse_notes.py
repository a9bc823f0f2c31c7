"""The transcript on the call's Dataverse row: an annotation (note) regarding it, upserted by its own id.

``PATCH /api/data/v9.2/annotations(<id>)`` with ``subject``, ``notetext`` and
``objectid_<table>@odata.bind: "/<entity set>(<alternate key>='<conversation id>')"``. The annotation id is
a UUID derived from the conversation id (uuid5), so a PATCH without ``If-Match`` creates the note the
first time and replaces it on every rerun: never a second note. (Binding by alternate key and upserting
an annotation by a caller-chosen id are standard Web API behaviour, not confirmed in the reference.)
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from cxbridge.core.http import DEFAULT_TIMEOUT_S, AuthorizedHttp
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.transcripts.attach_http import send
from cxbridge.transcripts.ports import RECORD_MISSING

if TYPE_CHECKING:
    import requests

    from cxbridge.core.oauth import TokenCache
    from cxbridge.crm.dynamics import DynamicsMapping
    from cxbridge.transcripts.render import RenderedTranscript

SYSTEM = "dynamics"
API_VERSION = "9.2"
NAMESPACE = uuid.UUID("6f1c2a53-8f0e-4b7e-9a55-0b4a4c2d7e11")  # cxbridge transcript notes
SUBJECT_MAX = 500
NOTETEXT_MAX = 100_000
ODATA_HEADERS = {"OData-MaxVersion": "4.0", "OData-Version": "4.0", "Accept": "application/json"}


class DataverseTranscriptMapping(BaseModel):
    """``{"table": "new_calllog"}``: the logical name of the call's table (``objectid_<table>``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")


def annotation_id(conversation_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, conversation_id))


class DataverseNotes:
    """``TranscriptSink`` on the Dataverse Web API."""

    replaces = True

    def __init__(
        self,
        call_mapping: DynamicsMapping,
        mapping: DataverseTranscriptMapping,
        org_url: str,
        tokens: TokenCache,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._call = call_mapping
        self._mapping = mapping
        self._base = f"{org_url.rstrip('/')}/api/data/v{API_VERSION}"
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)

    def attach(self, conversation_id: str, note: RenderedTranscript) -> None:
        key = conversation_id.replace("'", "''")
        row = {
            "subject": note.title[:SUBJECT_MAX],
            "notetext": note.text[:NOTETEXT_MAX],
            f"objectid_{self._mapping.table}@odata.bind": (
                f"/{self._call.entity_set}({self._call.alternate_key}='{key}')"
            ),
        }
        url = f"{self._base}/annotations({annotation_id(conversation_id)})"
        response = send(
            self._http, "PATCH", lambda _: url, conversation_id, json=row, headers=ODATA_HEADERS, accept={404}
        )
        if response.status_code == 404:  # the bound call row does not exist (yet)
            raise UpstreamFailure(WriteStatus.TRANSIENT, RECORD_MISSING)
