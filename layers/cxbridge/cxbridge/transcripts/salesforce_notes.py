"""The transcript on the call's Salesforce record: a ContentNote linked to it, or a long text field.

The call's record is the one the CRM sink upserts (``mapping.object`` keyed by ``mapping.external_id_field``
= the conversation id). Note mode: the record's ``Id`` by its external id; the note found by its title
(``Call transcript <conversationId>``) is updated in place, else created (``ContentNote``: ``Title``,
``Content`` base64 HTML) and linked (``ContentDocumentLink``: ``ContentDocumentId``, ``LinkedEntityId``,
``ShareType`` ``I``, ``Visibility`` ``AllUsers``); a link that already exists is not made again. So a
rerun replaces the note, never adds one. Field mode: one ``PATCH`` of the field by external id
(``updateOnly=true``: the transcript never creates the call's record).
"""

from __future__ import annotations

import base64
import html
import re
from typing import TYPE_CHECKING, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from cxbridge.core.http import DEFAULT_TIMEOUT_S, AuthorizedHttp, json_body
from cxbridge.core.upstream import UpstreamFailure, WriteStatus
from cxbridge.transcripts.attach_http import send
from cxbridge.transcripts.ports import RECORD_MISSING

if TYPE_CHECKING:
    import requests

    from cxbridge.core.oauth import AccessToken, TokenCache
    from cxbridge.crm.salesforce import SalesforceMapping
    from cxbridge.transcripts.render import RenderedTranscript

SYSTEM = "salesforce"
API_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,79}$"
_SF_ID = re.compile(r"^[A-Za-z0-9]{15,18}$")


def _sf_id(value: object) -> str:
    """A Salesforce record id as Salesforce answered it (it goes into SOQL, so nothing else is taken)."""
    if not isinstance(value, str) or not _SF_ID.match(value):
        raise UpstreamFailure(WriteStatus.TRANSIENT, "bad-response")
    return value


class SalesforceTranscriptMapping(BaseModel):
    """``{"mode": "note"}`` (default) or ``{"mode": "field", "field": "Transcript__c"}`` (a Long Text Area)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["note", "field"] = "note"
    field: str | None = Field(default=None, pattern=API_NAME)
    visibility: Literal["AllUsers", "InternalUsers"] = "AllUsers"


def note_content(text: str) -> str:
    """``Content`` of a ContentNote: HTML (Salesforce strips plain new lines), special characters escaped, base64."""
    body = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n"))
    return base64.b64encode(body.encode()).decode()


class SalesforceNotes:
    """``TranscriptSink`` on the Salesforce REST API."""

    replaces = True

    def __init__(
        self,
        call_mapping: SalesforceMapping,
        mapping: SalesforceTranscriptMapping,
        tokens: TokenCache,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        if mapping.mode == "field" and not mapping.field:
            raise ValueError("the transcript mapping's field mode needs a field")
        self._call = call_mapping
        self._mapping = mapping
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)

    def _base(self, token: AccessToken) -> str:
        if not token.instance_url:
            raise UpstreamFailure(WriteStatus.TRANSIENT, "token:no-instance-url")
        return f"{token.instance_url}/services/data/v{self._call.api_version}"

    def _record_path(self, conversation_id: str) -> str:
        return f"/sobjects/{self._call.object}/{self._call.external_id_field}/{quote(conversation_id, safe='')}"

    def attach(self, conversation_id: str, note: RenderedTranscript) -> None:
        if self._mapping.mode == "field":
            self._field(conversation_id, note)
        else:
            self._note(conversation_id, note)

    def _field(self, cid: str, note: RenderedTranscript) -> None:
        path = self._record_path(cid) + "?updateOnly=true"
        response = send(
            self._http,
            "PATCH",
            lambda t: self._base(t) + path,
            cid,
            json={self._mapping.field: note.text},
            accept={404},
        )
        if response.status_code == 404:
            raise UpstreamFailure(WriteStatus.TRANSIENT, RECORD_MISSING)

    def _query(self, cid: str, soql: str) -> list[dict[str, object]]:
        response = send(self._http, "GET", lambda t: f"{self._base(t)}/query?q={quote(soql)}", cid)
        body = json_body(response)
        records = body.get("records") if isinstance(body, dict) else None
        return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []

    def _note(self, cid: str, note: RenderedTranscript) -> None:
        found = send(
            self._http, "GET", lambda t: self._base(t) + self._record_path(cid) + "?fields=Id", cid, accept={404}
        )
        if found.status_code == 404:
            raise UpstreamFailure(WriteStatus.TRANSIENT, RECORD_MISSING)
        body = json_body(found)
        record_id = _sf_id(body.get("Id") if isinstance(body, dict) else None)
        title = note.title.replace("'", "")  # ids carry no quotes; the title is ours
        existing = self._query(cid, f"SELECT Id FROM ContentNote WHERE Title = '{title}' LIMIT 1")  # noqa: S608 - our title
        content = note_content(note.text)
        if existing:
            note_id = _sf_id(existing[0].get("Id"))
            send(
                self._http,
                "PATCH",
                lambda t: f"{self._base(t)}/sobjects/ContentNote/{note_id}",
                cid,
                json={"Content": content},
            )
            soql = f"SELECT Id, LinkedEntityId FROM ContentDocumentLink WHERE ContentDocumentId = '{note_id}'"  # noqa: S608
            if any(link.get("LinkedEntityId") == record_id for link in self._query(cid, soql)):
                return
        else:
            created = send(
                self._http,
                "POST",
                lambda t: f"{self._base(t)}/sobjects/ContentNote",
                cid,
                json={"Title": note.title, "Content": content},
            )
            answer = json_body(created)
            note_id = _sf_id(answer.get("id") if isinstance(answer, dict) else None)
        link = {
            "ContentDocumentId": note_id,
            "LinkedEntityId": record_id,
            "ShareType": "I",
            "Visibility": self._mapping.visibility,
        }
        send(self._http, "POST", lambda t: f"{self._base(t)}/sobjects/ContentDocumentLink", cid, json=link)
