"""The transcript feature in the template (issue 17): its own queue and DLQ, least privilege, a switch."""

from __future__ import annotations

from typing import Any

TRANSCRIPT_RESOURCES = {
    "TranscriptsTable",
    "TranscriptQueue",
    "TranscriptDeadLetterQueue",
    "TranscriptOutboxFunction",
    "TranscriptOutboxFunctionLogGroup",
    "TranscriptWorkerFunction",
    "TranscriptWorkerFunctionLogGroup",
    "TranscriptOutboxFunctionErrorRateAlarm",
    "TranscriptWorkerFunctionErrorRateAlarm",
    "TranscriptDeadLetterAlarm",
    "TranscriptThrottlesAlarm",
}


def test_every_transcript_resource_is_off_with_the_switch(sam: dict[str, Any]) -> None:
    assert sam["Parameters"]["TranscriptsEnabled"]["AllowedValues"] == ["true", "false"]
    assert sam["Conditions"]["HasTranscripts"] == {"Fn::Equals": [{"Ref": "TranscriptsEnabled"}, "true"]}
    named = {k for k in sam["Resources"] if k.startswith("Transcript")}
    assert named == TRANSCRIPT_RESOURCES
    for name in named:
        assert sam["Resources"][name]["Condition"] == "HasTranscripts", name


def test_queue_redrives_to_its_dead_letter_queue_after_the_waits_of_the_deadline(sam: dict[str, Any]) -> None:
    props = sam["Resources"]["TranscriptQueue"]["Properties"]
    assert props["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["TranscriptDeadLetterQueue", "Arn"]},
        "maxReceiveCount": {"Ref": "TranscriptMaxReceiveCount"},
    }
    assert sam["Parameters"]["TranscriptMaxReceiveCount"]["Default"] > 55  # the default deadline's waits
    assert props["MessageRetentionPeriod"] > sam["Parameters"]["TranscriptDeadlineSeconds"]["MaxValue"]
    assert sam["Parameters"]["TranscriptDeadlineSeconds"]["Default"] == 86_400
    assert props["KmsMasterKeyId"] == "alias/aws/sqs"


def test_worker_consumes_with_partial_failures_and_a_concurrency_cap(sam: dict[str, Any]) -> None:
    worker = sam["Resources"]["TranscriptWorkerFunction"]["Properties"]
    source = worker["Events"]["TranscriptJobs"]["Properties"]
    assert source["Queue"] == {"Fn::GetAtt": ["TranscriptQueue", "Arn"]}
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["ScalingConfig"]["MaximumConcurrency"] >= 2
    assert sam["Resources"]["TranscriptQueue"]["Properties"]["VisibilityTimeout"] >= 6 * worker["Timeout"]


def test_each_transcript_function_gets_only_what_it_uses(cfn: dict[str, Any]) -> None:
    def statements(role: str) -> list[dict[str, Any]]:
        policies = cfn["Resources"][role]["Properties"]["Policies"]
        return [st for p in policies for st in p["PolicyDocument"]["Statement"]]

    worker = statements("TranscriptWorkerFunctionRole")
    dynamo = [st for st in worker if any(str(a).startswith("dynamodb:") for a in st["Action"])]
    assert dynamo == [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
            "Resource": {"Fn::GetAtt": ["TranscriptsTable", "Arn"]},
        }
    ]
    outbox = statements("TranscriptOutboxFunctionRole")
    assert not [st for st in outbox if any(str(a).startswith(("dynamodb:Put", "secretsmanager")) for a in st["Action"])]
