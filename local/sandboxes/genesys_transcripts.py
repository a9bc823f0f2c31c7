"""Genesys recordings and STA transcripts inside the Genesys fake (issue 17), with PII planted in the phrases.

``GET /api/v2/conversations/{id}/recordings`` lists one audio recording per conversation (its ``sessionId``
is the communication id); ``GET /api/v2/speechandtextanalytics/conversations/{id}/communications/{cid}/
transcripturl`` answers 404 until ``transcript_delay_s`` after the recordings were first asked for (the
transcript "is not there yet"), then ``{"url"}``: a pre-signed-style URL on this server that serves the
transcript JSON (the schema of reference §1.3) to a plain GET without a bearer token. Every transcript
carries ``PLANTED_PII`` in its phrases: some masked by Genesys in ``text`` and left in ``decoratedText``,
some not masked at all, so a test can tell whether any of it reaches a CRM, a log line or a queue.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from typing import TYPE_CHECKING, Any

from local.sandboxes.base import Reply, Request, Route

if TYPE_CHECKING:
    from collections.abc import Sequence

    from local.sandboxes.genesys import GenesysSandbox

UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
PLANTED_PII = ("317-555-0188", "pat.smith@example.org", "4111 1111 1111 1111", "123-45-6789")
SESSIONS = uuid.UUID("2d6b8f0c-3a1e-4c5d-9e7f-8a9b0c1d2e3f")


def session_of(conversation_id: str) -> str:
    return str(uuid.uuid5(SESSIONS, conversation_id))


def transcript_document(conversation_id: str, start_ms: int) -> dict[str, Any]:
    """The transcript of a conversation: IVR, customer and agent phrases with the planted PII."""
    phone, email, card, ssn = PLANTED_PII
    lines = [
        ("internal", 1_000, "thank you for calling acme how can i help", "Thank you for calling Acme. How can I help?"),
        ("external", 14_000, f"my number is {phone}", f"My number is {phone}."),
        ("internal", 21_000, "and your email", "And your e-mail?"),
        ("external", 25_000, f"it is {email}", f"It is {email}."),
        ("external", 31_000, "my card is [card number]", f"My card is {card}."),  # Genesys masked text only
        ("external", 38_000, f"social security {ssn}", f"Social security {ssn}."),
        ("internal", 45_000, "thanks i have updated your account", "Thanks, I have updated your account."),
    ]
    phrases = [
        {
            "phraseIndex": i,
            "participantPurpose": purpose,
            "text": text,
            "decoratedText": decorated,
            "stability": 1.0,
            "confidence": 0.9,
            "offset": offset,
            "startTimeMs": start_ms + offset,
            "duration": 3_000,
            "words": [],
            "alternatives": [],
            "type": "utterance",
        }
        for i, (purpose, offset, text, decorated) in enumerate(lines)
    ]
    return {
        "organizationId": "00000000-0000-4000-8000-00000000000a",
        "conversationId": conversation_id,
        "communicationId": session_of(conversation_id),
        "mediaType": "call",
        "conversationStartTime": start_ms,
        "startTime": start_ms,
        "duration": 60_000,
        "uri": f"/api/v2/speechandtextanalytics/conversations/{conversation_id}",
        "participants": [
            {"participantPurpose": "ivr", "startTimeMs": start_ms, "endTimeMs": start_ms + 10_000},
            {"participantPurpose": "customer", "ani": f"tel:+1{phone.replace('-', '')}", "startTimeMs": start_ms},
            {"participantPurpose": "agent", "startTimeMs": start_ms + 10_000, "endTimeMs": start_ms + 60_000},
        ],
        "transcripts": [
            {"transcriptId": str(uuid.uuid5(SESSIONS, "t" + conversation_id)), "language": "en-us", "phrases": phrases}
        ],
    }


class TranscriptsFake:
    """Recordings, transcript URLs and the transcript store of the Genesys fake."""

    def __init__(self, sandbox: GenesysSandbox) -> None:
        self._sandbox = sandbox
        self.first_asked: dict[str, float] = {}
        self._signatures: set[str] = set()
        self._not_yet: set[str] = set()  # conversations told "not yet" at least once
        self._served: set[str] = set()

    def routes(self) -> Sequence[Route]:
        sta = rf"/api/v2/speechandtextanalytics/conversations/(?P<cid>{UUID})/communications/(?P<mid>[^/]+)"
        return [
            Route("GET", re.compile(rf"/api/v2/conversations/(?P<cid>{UUID})/recordings"), "recordings", self._list),
            Route("GET", re.compile(sta + "/transcripturl"), "transcripturl", self._url),
            Route("GET", re.compile(rf"/sta-bucket/(?P<cid>{UUID})/(?P<mid>[^/]+)\.json"), "transcript", self._get),
        ]

    def state(self) -> dict[str, Any]:
        return {
            "transcripts_asked": len(self.first_asked),
            "transcripts_served": len(self._served),
            "transcripts_late": len(self._served & self._not_yet),  # served after a "not yet"
        }

    def _unauthorized(self, request: Request) -> Reply | None:
        if self._sandbox.token_valid(request.bearer()):
            return None
        return Reply(401, {"message": "Invalid login credentials.", "code": "bad.credentials", "status": 401})

    def _list(self, request: Request) -> Reply:
        denied = self._unauthorized(request)
        if denied:
            return denied
        cid = request.params["cid"]
        self.first_asked.setdefault(cid, time.monotonic())
        recording = {
            "id": str(uuid.uuid5(SESSIONS, "r" + cid)),
            "conversationId": cid,
            "sessionId": session_of(cid),
            "media": "audio",
            "fileState": "AVAILABLE",
            "mediaUris": {},
        }
        return Reply(200, [recording])

    def _url(self, request: Request) -> Reply:
        denied = self._unauthorized(request)
        if denied:
            return denied
        cid, mid = request.params["cid"], request.params["mid"]
        asked = self.first_asked.get(cid)
        delay = self._sandbox.knobs.transcript_delay_s
        if mid != session_of(cid) or asked is None or time.monotonic() - asked < delay:
            self._not_yet.add(cid)
            return Reply(404, {"message": "No transcript", "code": "not.found", "status": 404})
        signature = secrets.token_hex(16)
        self._signatures.add(signature)
        url = f"{self._sandbox.url}/sta-bucket/{cid}/{mid}.json?X-Amz-Expires=600&X-Amz-Signature={signature}"
        return Reply(200, {"url": url})

    def _get(self, request: Request) -> Reply:
        if request.headers.get("Authorization"):
            return Reply(400, {"message": "Only one auth mechanism allowed"})  # as S3 answers a pre-signed URL
        if (request.query.get("X-Amz-Signature") or [""])[-1] not in self._signatures:
            return Reply(403, {"message": "AccessDenied"})
        self._served.add(request.params["cid"])
        return Reply(200, transcript_document(request.params["cid"], 1_796_119_200_000))
