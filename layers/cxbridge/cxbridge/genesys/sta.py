"""Genesys Speech & Text Analytics: a conversation's communications and their transcripts.

``GET /api/v2/conversations/{id}/recordings?formatId=NONE`` lists the recorded communications: a
recording's ``sessionId`` is the communication id the transcript URL takes (as public clients use it,
reference §1.1); only a recorded communication can have a transcript, so an unrecorded agent or IVR leg is
never waited for. Digital recordings (chat, messaging, email) are asked for the same way (that STA serves
them is unconfirmed: a 404 there ends as "no transcript"). An answer with no body means "recordings not
ready" (public clients retry). For each communication,
``GET …/communications/{communicationId}/transcripturl`` gives a pre-signed URL (10 minutes) to the
transcript JSON, fetched with a plain GET and no bearer token. 404 and 202 mean "no transcript (yet)"
(both unconfirmed, reference §1.2). The transcript is parsed in memory and never logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests

from cxbridge.core.http import (
    DEFAULT_TIMEOUT_S,
    AuthorizedHttp,
    classify,
    json_body,
    log_response,
    new_session,
    parse_retry_after,
    transport_reason,
)
from cxbridge.core.observability import logger
from cxbridge.core.upstream import UpstreamFailure, WriteStatus

if TYPE_CHECKING:
    from collections.abc import Callable

    from cxbridge.core.oauth import TokenCache

SYSTEM = "genesys"
TRANSCRIPT_STORE = "genesys-transcript-store"
# Ask Genesys to wait at most this long for recordings (its default, 5 s, is our whole timeout).
MAX_WAIT_MS = 1000
NOT_YET = frozenset({202, 404})


def _failure(response: requests.Response) -> UpstreamFailure:
    body = json_body(response)
    code = body.get("code") if isinstance(body, dict) else None
    reason = code if isinstance(code, str) and code else f"http:{response.status_code}"
    return UpstreamFailure(classify(response), reason, parse_retry_after(response.headers.get("Retry-After")))


class StaClient[T]:
    """``TranscriptSource`` on the Genesys Platform API; ``parse`` turns the downloaded JSON into the feature's
    model (raising ``ValueError``), so this platform client knows no feature."""

    def __init__(
        self,
        tokens: TokenCache,
        api_base_url: str,
        parse: Callable[[bytes], T],
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._api = api_base_url.rstrip("/")
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)
        self._download = session if session is not None else new_session()
        self._timeout_s = timeout_s
        self._parse = parse

    def _get(self, url: str, **ids: str) -> requests.Response:
        try:
            response = self._http.request("GET", lambda _: url)
        except requests.RequestException as exc:
            reason = transport_reason(exc)
            logger.warning("outbound call failed", extra={"system": SYSTEM, "error": reason})
            raise UpstreamFailure(classify(exc), reason) from None
        log_response(SYSTEM, response, **ids)
        return response

    def communications(self, conversation_id: str) -> list[str] | None:
        """The recorded communications' ids; None while the recordings are not ready."""
        cid = quote(conversation_id, safe="")
        url = f"{self._api}/api/v2/conversations/{cid}/recordings?formatId=NONE&maxWaitMs={MAX_WAIT_MS}"
        response = self._get(url, conversationId=conversation_id)
        if response.status_code == 404:
            return []  # not a Genesys conversation (a webhook's id), or no longer kept
        if not response.ok:
            raise _failure(response)
        body = json_body(response)
        if response.status_code == 202 or body is None:
            return None
        return _session_ids(body)

    def transcript(self, conversation_id: str, communication_id: str) -> T | None:
        cid, mid = quote(conversation_id, safe=""), quote(communication_id, safe="")
        url = f"{self._api}/api/v2/speechandtextanalytics/conversations/{cid}/communications/{mid}/transcripturl"
        response = self._get(url, conversationId=conversation_id, communicationId=communication_id)
        if response.status_code in NOT_YET:
            return None
        if not response.ok:
            raise _failure(response)
        body = json_body(response)
        signed = body.get("url") if isinstance(body, dict) else None
        if not isinstance(signed, str) or not signed.startswith(("https://", "http://")):
            raise UpstreamFailure(WriteStatus.TRANSIENT, "bad-response")
        return self._fetch(signed, conversation_id)

    def _fetch(self, signed_url: str, conversation_id: str) -> T:
        try:  # pre-signed: no bearer header; the URL is a credential, so it is never logged
            response = self._download.get(signed_url, timeout=self._timeout_s)
        except requests.RequestException as exc:
            raise UpstreamFailure(WriteStatus.TRANSIENT, f"download:{transport_reason(exc)}") from None
        log_response(TRANSCRIPT_STORE, response, conversationId=conversation_id)
        if response.status_code in (400, 403):  # expired (10 minutes): a new URL next time
            raise UpstreamFailure(WriteStatus.TRANSIENT, "download:url-expired")
        if not response.ok:
            raise UpstreamFailure(classify(response), f"download:http:{response.status_code}")
        try:
            return self._parse(response.content)
        except ValueError:  # pydantic's ValidationError is one
            raise UpstreamFailure(WriteStatus.PERMANENT, "bad-transcript") from None


def _session_ids(recordings: Any) -> list[str]:
    """Each recording's ``sessionId`` (the communication id), each once, in order."""
    found: list[str] = []
    for recording in recordings if isinstance(recordings, list) else []:
        sid = recording.get("sessionId") if isinstance(recording, dict) else None
        if isinstance(sid, str) and sid and sid not in found:
            found.append(sid)
    return found
