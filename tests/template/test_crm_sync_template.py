"""Template assertions for the CRM-sync worker: event source, partial failures, limits, least privilege."""

from __future__ import annotations

from typing import Any


def function(sam: dict[str, Any], name: str) -> dict[str, Any]:
    props: dict[str, Any] = sam["Resources"][name]["Properties"]
    return props


def test_worker_consumes_the_crm_sync_queue_with_partial_batch_failures_and_a_concurrency_cap(
    sam: dict[str, Any],
) -> None:
    (event,) = function(sam, "CrmSyncWorkerFunction")["Events"].values()
    assert event["Type"] == "SQS"
    props = event["Properties"]
    assert props["Queue"] == {"Fn::GetAtt": ["CrmSyncQueue", "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] == {
        "Fn::If": [
            "SinkIsSalesforce",
            {"Ref": "CrmSyncBatchSizeSalesforce"},
            {
                "Fn::If": [
                    "SinkIsDynamics",
                    {"Ref": "CrmSyncBatchSizeDynamics"},
                    {
                        "Fn::If": [
                            "SinkIsAutomationAnywhereWorkQueue",
                            {"Ref": "CrmSyncBatchSizeAutomationAnywhereWorkQueue"},
                            {"Ref": "CrmSyncBatchSizeAutomationAnywhere"},
                        ]
                    },
                ]
            },
        ]
    }
    assert props["MaximumBatchingWindowInSeconds"] == {"Ref": "CrmSyncBatchWindowSeconds"}
    assert props["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "CrmSyncMaxConcurrency"}}


def test_each_sinks_default_batch_fits_the_worker_timeout(sam: dict[str, Any]) -> None:
    """One token fetch (and Dataverse's one table check), then the sink's requests one after another,
    and the worker's settle reserve."""
    from cxbridge.crm.dynamics import DEFAULT_BATCH_SIZE
    from cxbridge.crm.sync import SETTLE_RESERVE_S
    from cxbridge.crm.work_queue import DEFAULT_BATCH_SIZE as WORK_ITEMS_PER_REQUEST

    timeout = function(sam, "CrmSyncWorkerFunction")["Timeout"]
    request_s = sam["Parameters"]["HttpTimeoutSeconds"]["Default"]
    per_request = {  # records per request
        "Salesforce": 200,
        "Dynamics": DEFAULT_BATCH_SIZE,
        "AutomationAnywhere": 1,
        "AutomationAnywhereWorkQueue": WORK_ITEMS_PER_REQUEST,
    }
    for sink, records in per_request.items():
        batch = sam["Parameters"][f"CrmSyncBatchSize{sink}"]["Default"]
        requests = 1 + (sink == "Dynamics") + -(-batch // records)
        assert requests * request_s + SETTLE_RESERVE_S <= timeout, sink


def test_queue_visibility_covers_six_worker_timeouts(sam: dict[str, Any]) -> None:
    timeout = function(sam, "CrmSyncWorkerFunction")["Timeout"]
    assert sam["Resources"]["CrmSyncQueue"]["Properties"]["VisibilityTimeout"] >= 6 * timeout


def test_worker_dead_letters_at_the_same_receive_count_as_the_queue(sam: dict[str, Any]) -> None:
    env = function(sam, "CrmSyncWorkerFunction")["Environment"]["Variables"]
    assert env["CRM_SYNC_MAX_RECEIVES"] == {"Ref": "CrmSyncMaxReceiveCount"}
    assert sam["Resources"]["CrmSyncQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] == {
        "Ref": "CrmSyncMaxReceiveCount"
    }


def test_secrets_are_named_not_stored_and_readable_only_by_name(cfn: dict[str, Any]) -> None:
    role = cfn["Resources"]["CrmSyncWorkerFunctionRole"]["Properties"]
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    (secrets,) = [s for s in statements if s["Action"] == "secretsmanager:GetSecretValue"]
    named = [arn for arn in secrets["Resource"] if "Fn::Sub" in arn]
    assert len(named) == 2
    for arn in named:  # exactly the named secret: Secrets Manager adds six characters to its ARN
        assert arn["Fn::Sub"].endswith(("${CrmSecretName}-??????", "${GenesysSecretName}-??????"))
    generated = [arn for arn in secrets["Resource"] if "Fn::Sub" not in arn]
    assert generated == [{"Ref": "BotCallbackSecret"}, {"Ref": "LookupSaltSecret"}]  # the stack's own keys
    env = cfn["Resources"]["CrmSyncWorkerFunction"]["Properties"]["Environment"]["Variables"]
    assert env["CRM_SECRET_NAME"] == {"Ref": "CrmSecretName"}


def test_bot_callback_has_no_caller_token_but_its_own(cfn: dict[str, Any]) -> None:
    """The Control Room cannot fetch an OAuth token: the route checks the per-deployment token itself."""
    (api,) = [r for r in cfn["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    assert api["Properties"]["Body"]["paths"]["/bots/callback"]["post"]["security"] == [{"NONE": []}]


def test_worker_state_table_is_encrypted_with_ttl(sam: dict[str, Any]) -> None:
    props = sam["Resources"]["WorkerStateTable"]["Properties"]
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}


def test_bot_claims_fit_the_queue_a_redriven_job_can_meet_and_resolve_them(sam: dict[str, Any]) -> None:
    """A claim is taken for a deploy under way only within one worker invocation, and outlives every job
    for its call (14 days across the queue and its DLQ), so a redrive finds it and looks the run up."""
    from cxbridge.crm.sinks import AutomationAnywhereConnection
    from cxbridge.crm.worker_state import LEDGER_TTL_S

    in_flight = AutomationAnywhereConnection.model_fields["in_flight_s"].default
    assert in_flight <= function(sam, "CrmSyncWorkerFunction")["Timeout"]
    assert in_flight <= sam["Resources"]["CrmSyncQueue"]["Properties"]["VisibilityTimeout"]
    for queue in ("CrmSyncQueue", "CrmSyncDeadLetterQueue"):
        assert sam["Resources"][queue]["Properties"]["MessageRetentionPeriod"] <= LEDGER_TTL_S
