"""The transcript as an Automation Anywhere bot input: one deploy per conversation with the redacted text.

``POST /v3/automations/deploy`` with ``botInput: {<variable>: {"type": "STRING", "string": <note>}}``. A bot
run cannot be replaced, so the sink says ``replaces = False`` and the use case claims the conversation in
the transcript ledger before the deploy: a rerun skips. A deploy whose answer was lost (timeout, 502/504)
keeps its claim, so the note is given at most once, never twice (docs/decisions.md, issue 17).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from cxbridge.core.http import DEFAULT_TIMEOUT_S, AuthorizedHttp
from cxbridge.transcripts.attach_http import send

if TYPE_CHECKING:
    import requests

    from cxbridge.core.oauth import TokenCache
    from cxbridge.transcripts.render import RenderedTranscript

SYSTEM = "automation_anywhere"


class BotTranscriptMapping(BaseModel):
    """``{"file_id": 88, "run_as_user_ids": [3], "transcript_input": "sTranscript", "call_input": "sCallId"}``"""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file_id: int = Field(ge=1)
    run_as_user_ids: list[int] = Field(min_length=1)
    pool_ids: list[int] = Field(default_factory=list)
    override_default_device: bool = False
    transcript_input: str = Field(min_length=1, max_length=64)
    call_input: str | None = Field(default=None, min_length=1, max_length=64)


class BotTranscriptInput:
    """``TranscriptSink`` on the Control Room's deploy API."""

    replaces = False

    def __init__(
        self,
        mapping: BotTranscriptMapping,
        control_room_url: str,
        tokens: TokenCache,
        *,
        session: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._mapping = mapping
        self._url = f"{control_room_url.rstrip('/')}/v3/automations/deploy"
        self._http = AuthorizedHttp(SYSTEM, tokens, session=session, timeout_s=timeout_s)

    def attach(self, conversation_id: str, note: RenderedTranscript) -> None:
        m = self._mapping
        bot_input = {m.transcript_input: {"type": "STRING", "string": note.text}}
        if m.call_input:
            bot_input[m.call_input] = {"type": "STRING", "string": conversation_id}
        payload = {
            "fileId": m.file_id,
            "runAsUserIds": m.run_as_user_ids,
            "poolIds": m.pool_ids,
            "overrideDefaultDevice": m.override_default_device,
            "botInput": bot_input,
        }
        send(self._http, "POST", lambda _: self._url, conversation_id, json=payload)
