"""The transcript adapters over real HTTP against the sandboxes: Genesys STA, Salesforce notes, Dataverse
annotations, the Control Room deploy (issue 17)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

import pytest

from cxbridge.core.oauth import TokenCache
from cxbridge.core.upstream import UpstreamFailure
from cxbridge.crm.dynamics import DynamicsMapping
from cxbridge.crm.oauth import AutomationAnywhereTokenSource, EntraTokenSource, SalesforceTokenSource
from cxbridge.crm.salesforce import SalesforceMapping
from cxbridge.genesys.oauth import GenesysTokenSource
from cxbridge.genesys.sta import StaClient
from cxbridge.transcripts.aa_bot_input import BotTranscriptInput, BotTranscriptMapping
from cxbridge.transcripts.dataverse_notes import DataverseNotes, DataverseTranscriptMapping, annotation_id
from cxbridge.transcripts.models import Transcript
from cxbridge.transcripts.ports import RECORD_MISSING
from cxbridge.transcripts.render import CallHeader, RenderedTranscript, render
from cxbridge.transcripts.salesforce_notes import SalesforceNotes, SalesforceTranscriptMapping
from local.sandboxes.base import SANDBOX_CLIENT_ID, SANDBOX_SECRET
from local.sandboxes.genesys_transcripts import PLANTED_PII, session_of, transcript_document

if TYPE_CHECKING:
    from local.sandboxes.automation_anywhere import AutomationAnywhereSandbox
    from local.sandboxes.dynamics import DynamicsSandbox
    from local.sandboxes.genesys import GenesysSandbox
    from local.sandboxes.salesforce import SalesforceSandbox

CID = "6c7a3f4e-9b2d-4e1f-a8c3-5d6e7f8a9b0c"
SF_CALLS = SalesforceMapping(object="Call_Log__c", external_id_field="CallReference__c")


def sta(server: GenesysSandbox) -> StaClient[Transcript]:
    tokens = TokenCache(GenesysTokenSource(server.url, SANDBOX_CLIENT_ID, SANDBOX_SECRET))
    return StaClient(tokens, server.url, Transcript.model_validate_json, timeout_s=2)


def note(text_of: str = CID) -> RenderedTranscript:
    doc = Transcript.model_validate(transcript_document(text_of, 1_796_119_200_000))
    return render(CallHeader(text_of, "voice"), [doc])


def test_sta_lists_recorded_communications_and_waits_for_the_transcript(genesys: GenesysSandbox) -> None:
    genesys.configure(transcript_delay_s=60)
    client = sta(genesys)
    assert client.communications(CID) == [session_of(CID)]
    assert client.transcript(CID, session_of(CID)) is None  # 404: not yet
    genesys.configure(transcript_delay_s=0)
    document = client.transcript(CID, session_of(CID))
    assert document is not None and document.conversationId == CID
    assert len(document.transcripts[0].phrases) == 7
    assert genesys.state()["transcripts_served"] == 1  # fetched without a bearer header (S3 refuses one)


def test_sta_throttling_carries_retry_after(genesys: GenesysSandbox) -> None:
    genesys.configure(throttle_ratio=1.0, retry_after_s=7)
    with pytest.raises(UpstreamFailure) as caught:
        sta(genesys).communications(CID)
    assert (caught.value.status, caught.value.retry_after_s) == ("throttled", 7)


def test_a_non_genesys_conversation_has_no_communications(genesys: GenesysSandbox) -> None:
    assert sta(genesys).communications("webhook-call-1") == []


def salesforce_notes(server: SalesforceSandbox, mapping: SalesforceTranscriptMapping) -> SalesforceNotes:
    tokens = TokenCache(SalesforceTokenSource(server.url, SANDBOX_CLIENT_ID, SANDBOX_SECRET))
    return SalesforceNotes(SF_CALLS, mapping, tokens, timeout_s=2)


def call_record(server: SalesforceSandbox) -> str:
    record_id = "a00000000000099AAA"
    server.records.setdefault("Call_Log__c", {})[CID] = {"Id": record_id, "CallReference__c": CID}
    return record_id


def test_salesforce_note_waits_for_the_call_record_then_is_linked_once(salesforce: SalesforceSandbox) -> None:
    notes = salesforce_notes(salesforce, SalesforceTranscriptMapping())
    with pytest.raises(UpstreamFailure) as caught:
        notes.attach(CID, note())
    assert caught.value.reason == RECORD_MISSING
    record_id = call_record(salesforce)
    for _ in range(3):
        notes.attach(CID, note())
    state = salesforce.state()["records"]
    assert len(state["ContentNote"]) == 1 and len(state["ContentDocumentLink"]) == 1
    (link,) = state["ContentDocumentLink"].values()
    assert (link["LinkedEntityId"], link["ShareType"], link["Visibility"]) == (record_id, "I", "AllUsers")
    html = base64.b64decode(next(iter(state["ContentNote"].values()))["Content"]).decode()
    assert html.startswith(f"<p>Call transcript {CID}</p>")
    assert not [pii for pii in PLANTED_PII if pii in html]


def test_salesforce_field_mode_replaces_the_field_and_never_creates_the_record(salesforce: SalesforceSandbox) -> None:
    notes = salesforce_notes(salesforce, SalesforceTranscriptMapping(mode="field", field="Transcript__c"))
    with pytest.raises(UpstreamFailure) as caught:
        notes.attach(CID, note())
    assert caught.value.reason == RECORD_MISSING
    assert "Call_Log__c" not in salesforce.state()["records"]
    call_record(salesforce)
    notes.attach(CID, note())
    notes.attach(CID, note())
    (record,) = salesforce.state()["records"]["Call_Log__c"].values()
    assert record["Transcript__c"] == note().text


def test_dataverse_annotation_is_upserted_by_its_own_id_once(dynamics: DynamicsSandbox) -> None:
    calls = DynamicsMapping(entity_set="cxb_calllogs", logical_name="cxb_calllog", alternate_key="cxb_conversationid")
    source = EntraTokenSource("sandbox-tenant", SANDBOX_CLIENT_ID, SANDBOX_SECRET, dynamics.url, dynamics.url)
    sink = DataverseNotes(calls, DataverseTranscriptMapping(table="cxb_calllog"), dynamics.url, TokenCache(source))
    with pytest.raises(UpstreamFailure) as caught:
        sink.attach(CID, note())
    assert caught.value.reason == RECORD_MISSING
    dynamics.rows.setdefault("cxb_calllogs", {})[f"cxb_conversationid={CID}"] = {"id": "x"}
    for _ in range(3):
        sink.attach(CID, note())
    annotations = dynamics.state()["rows"]["annotations"]
    assert list(annotations) == [annotation_id(CID)]
    row = annotations[annotation_id(CID)]
    assert row["objectid_cxb_calllog@odata.bind"] == f"/cxb_calllogs(cxb_conversationid='{CID}')"
    assert row["subject"] == f"Call transcript {CID}"
    assert not [pii for pii in PLANTED_PII if pii in row["notetext"]]


def test_bot_gets_the_redacted_text_as_input(control_room: AutomationAnywhereSandbox) -> None:
    tokens = TokenCache(AutomationAnywhereTokenSource(control_room.url, "svc_api", SANDBOX_SECRET))
    mapping = BotTranscriptMapping(
        file_id=87, run_as_user_ids=[3], transcript_input="sTranscript", call_input="sCallId"
    )
    BotTranscriptInput(mapping, control_room.url, tokens).attach(CID, note())
    (run,) = control_room.state()["deployments"]
    text = run["botInput"]["sTranscript"]["string"]
    assert run["botInput"]["sCallId"] == {"type": "STRING", "string": CID}
    assert text.startswith(f"Call transcript {CID}") and not [p for p in PLANTED_PII if p in text]
