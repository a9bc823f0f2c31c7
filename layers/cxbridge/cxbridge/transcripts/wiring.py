"""Composition root of the transcript feature: the outbox (stream → queue) and the worker.

The CRM connection is the CRM sink's own (the SSM document validated by ``crm.sinks``, the token
sources of ``crm.oauth``); only the attach adapters, in this package, are new.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cxbridge.core import wiring
from cxbridge.core.aws import client
from cxbridge.transcripts.settings import transcript_outbox_settings, transcript_settings

if TYPE_CHECKING:
    from cxbridge.core.sqs import SqsQueue
    from cxbridge.transcripts.outbox import TranscriptOutbox
    from cxbridge.transcripts.ports import TranscriptSink
    from cxbridge.transcripts.service import TranscriptService


@lru_cache(maxsize=1)
def transcript_outbox() -> TranscriptOutbox:
    from cxbridge.core.sqs import SqsQueue  # noqa: PLC0415
    from cxbridge.transcripts.outbox import TranscriptOutbox  # noqa: PLC0415

    return TranscriptOutbox(SqsQueue(client("sqs"), transcript_outbox_settings().transcript_queue_url))


def build_transcript_sink(
    kind: str, connection: dict[str, Any], secret: dict[str, Any], mapping: dict[str, Any], timeout_s: float
) -> TranscriptSink:
    """The attach adapter for the configured CRM, on the CRM sink's connection document and credentials."""
    from cxbridge.core.oauth import TokenCache  # noqa: PLC0415
    from cxbridge.crm import oauth, sinks  # noqa: PLC0415

    if kind == "salesforce":
        from cxbridge.transcripts.salesforce_notes import SalesforceNotes, SalesforceTranscriptMapping  # noqa: PLC0415

        sf = sinks.SalesforceConnection.model_validate(connection)
        creds = sinks.ClientCredentials.model_validate(secret)
        source = oauth.SalesforceTokenSource(
            sf.my_domain_url, creds.client_id, creds.client_secret.get_secret_value(), sf.token_lifetime_s
        )
        notes = SalesforceTranscriptMapping.model_validate(mapping)
        return SalesforceNotes(sf.mapping, notes, TokenCache(source, timeout_s=timeout_s), timeout_s=timeout_s)
    if kind == "dynamics":
        from cxbridge.transcripts.dataverse_notes import DataverseNotes, DataverseTranscriptMapping  # noqa: PLC0415

        dyn = sinks.DynamicsConnection.model_validate(connection)
        creds = sinks.ClientCredentials.model_validate(secret)
        entra = oauth.EntraTokenSource(
            dyn.tenant_id, creds.client_id, creds.client_secret.get_secret_value(), dyn.org_url, dyn.login_base_url
        )
        annotations = DataverseTranscriptMapping.model_validate(mapping)
        tokens = TokenCache(entra, timeout_s=timeout_s)
        return DataverseNotes(dyn.mapping, annotations, dyn.org_url, tokens, timeout_s=timeout_s)
    from cxbridge.transcripts.aa_bot_input import BotTranscriptInput, BotTranscriptMapping  # noqa: PLC0415

    aa = sinks.AutomationAnywhereConnection.model_validate(connection)
    cr = sinks.ControlRoomCredentials.model_validate(secret)
    tokens = TokenCache(
        oauth.AutomationAnywhereTokenSource(aa.control_room_url, cr.username, cr.api_key.get_secret_value()),
        timeout_s=timeout_s,
    )
    bot = BotTranscriptMapping.model_validate(mapping)
    return BotTranscriptInput(bot, aa.control_room_url, tokens, timeout_s=timeout_s)


@lru_cache(maxsize=1)
def transcript_service() -> TranscriptService:
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415

    from cxbridge.genesys.connection import connect  # noqa: PLC0415
    from cxbridge.genesys.sta import StaClient  # noqa: PLC0415
    from cxbridge.transcripts.dynamodb import DynamoTranscriptLedger  # noqa: PLC0415
    from cxbridge.transcripts.models import Transcript  # noqa: PLC0415
    from cxbridge.transcripts.rules import WaitPolicy  # noqa: PLC0415
    from cxbridge.transcripts.service import TranscriptService  # noqa: PLC0415

    s = transcript_settings()
    genesys_secret = parameters.get_secret(s.genesys_secret_name, transform="json", max_age=s.secrets_max_age_s)
    genesys = connect(genesys_secret, region=s.genesys_region, base_url=s.genesys_base_url, timeout_s=s.http_timeout_s)
    source = StaClient(genesys.tokens, genesys.api_url, Transcript.model_validate_json, timeout_s=s.http_timeout_s)
    connection = parameters.get_parameter(s.crm_config_parameter, transform="json", max_age=s.secrets_max_age_s)
    secret = parameters.get_secret(s.crm_secret_name, transform="json", max_age=s.secrets_max_age_s)
    sink = build_transcript_sink(s.crm_sink, connection, secret, s.transcript_mapping, s.http_timeout_s)
    return TranscriptService(
        source,
        sink,
        DynamoTranscriptLedger(client("dynamodb"), s.transcripts_table, s.retention_days),
        policy=WaitPolicy(s.wait_base_s, s.wait_cap_s, s.deadline_s),
        max_chars=s.max_chars,
    )


@lru_cache(maxsize=1)
def queue_actions() -> SqsQueue:
    from cxbridge.core.sqs import SqsQueue  # noqa: PLC0415

    s = transcript_settings()
    return SqsQueue(client("sqs"), s.transcript_queue_url, s.transcript_dlq_url)


wiring.register(transcript_outbox.cache_clear, transcript_service.cache_clear, queue_actions.cache_clear)
