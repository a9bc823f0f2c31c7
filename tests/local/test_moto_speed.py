"""The local stack's faster moto keeps moto's answers: retention applies, services resolve, items read the same."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
from moto import backends, mock_aws
from moto.core.responses import ActionResult
from moto.core.serialize import TimestampSerializer
from moto.sqs.models import SQSBackend, sqs_backends

from local.moto_speed import JSON_ANSWERS, json_body, make_moto_faster

if TYPE_CHECKING:
    import pytest


def test_receive_delivers_fresh_messages_and_drops_those_past_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    make_moto_faster()
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="jobs", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="fresh")
        sqs.send_message(QueueUrl=url, MessageBody="old")
        old: Any = sqs_backends["123456789012"]["us-east-1"].get_queue("jobs")._messages[-1]
        old.sent_timestamp -= 61_000  # sent 61 s ago: past the queue's 60 s retention

        def no_attribute_map(*_: object) -> None:
            raise AssertionError("receive built the queue's attribute map")

        monkeypatch.setattr(SQSBackend, "get_queue_attributes", no_attribute_map)
        bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]

    assert bodies == ["fresh"]


def test_the_module_list_is_read_once_and_names_every_service(monkeypatch: pytest.MonkeyPatch) -> None:
    make_moto_faster()
    listed = set(backends.list_of_moto_modules())

    def no_listing(_: str) -> list[str]:
        raise AssertionError("moto's directory was listed again")

    monkeypatch.setattr("os.listdir", no_listing)
    assert {"dynamodb", "dynamodbstreams", "sqs", "stepfunctions"} <= listed
    assert set(backends.list_of_moto_modules()) == listed


def test_dynamodb_item_answers_are_what_motos_serializer_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every item operation cxbridge uses, with every attribute type, answered both ways: the same JSON."""
    make_moto_faster()
    fast = ActionResult.execute_result
    compared: list[tuple[str, str]] = []

    def both(self: ActionResult, context: Any) -> Any:
        answer = fast(self, context)
        members = context.operation_model.output_shape.members
        service = context.service_model.service_name
        operation = context.operation_model.name
        if operation in JSON_ANSWERS.get(service, ()) and json_body(self.result, members, TimestampSerializer):
            status, _, body = fast.moto(self, context)  # type: ignore[attr-defined]
            assert (answer[0], json.loads(answer[2])) == (status, json.loads(body)), operation
            compared.append((service, operation))
        return answer

    monkeypatch.setattr(ActionResult, "execute_result", both)
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "day", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "byDay",
                    "KeySchema": [
                        {"AttributeName": "day", "KeyType": "HASH"},
                        {"AttributeName": "pk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        item: dict[str, Any] = {
            "pk": {"S": "c-1"},
            "day": {"S": "2026-12-06"},
            "n": {"N": "3"},
            "ok": {"BOOL": True},
            "none": {"NULL": True},
            "tags": {"SS": ["a", "b"]},
            "nums": {"NS": ["1", "2"]},
            "list": {"L": [{"S": "x"}, {"M": {"y": {"N": "1"}}}]},
            "map": {"M": {"k": {"S": "v"}, "deep": {"M": {"z": {"BOOL": False}}}}},
        }
        ddb.put_item(TableName="t", Item=item, ReturnConsumedCapacity="TOTAL")
        ddb.put_item(TableName="t", Item={"pk": {"S": "c-2"}, "day": {"S": "2026-12-06"}}, ReturnValues="ALL_OLD")
        ddb.put_item(TableName="t", Item={**item, "n": {"N": "4"}}, ReturnValues="ALL_OLD")
        ddb.get_item(TableName="t", Key={"pk": {"S": "c-1"}}, ConsistentRead=True)
        ddb.get_item(TableName="t", Key={"pk": {"S": "absent"}})
        ddb.get_item(
            TableName="t",
            Key={"pk": {"S": "c-1"}},
            ProjectionExpression="#m.deep, tags",
            ExpressionAttributeNames={"#m": "map"},
        )
        for returned in ("ALL_NEW", "UPDATED_OLD", "UPDATED_NEW", "NONE"):
            ddb.update_item(
                TableName="t",
                Key={"pk": {"S": "c-1"}},
                UpdateExpression="SET n = n + :one REMOVE #none",
                ExpressionAttributeNames={"#none": "none"},
                ExpressionAttributeValues={":one": {"N": "1"}},
                ReturnValues=returned,
            )
        ddb.query(
            TableName="t",
            IndexName="byDay",
            KeyConditionExpression="#d = :d",
            ExpressionAttributeNames={"#d": "day"},
            ExpressionAttributeValues={":d": {"S": "2026-12-06"}},
            Limit=1,
        )
        ddb.query(
            TableName="t",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "c-1"}},
            Select="COUNT",
        )
        ddb.scan(TableName="t", Limit=1)
        ddb.batch_get_item(
            RequestItems={"t": {"Keys": [{"pk": {"S": "c-1"}}, {"pk": {"S": "c-2"}}], "ConsistentRead": True}}
        )
        ddb.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": {"pk": {"S": "c-3"}}}}]})
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": "c-4"}}}}])
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "t", "Key": {"pk": {"S": "c-4"}}}}])
        ddb.delete_item(TableName="t", Key={"pk": {"S": "c-4"}}, ReturnValues="ALL_OLD")
        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        arn = ddb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records = streams.get_records(ShardIterator=iterator["ShardIterator"])
        assert {r["eventName"] for r in records["Records"]} == {"INSERT", "MODIFY", "REMOVE"}

    expected = {(service, operation) for service, operations in JSON_ANSWERS.items() for operation in operations}
    assert set(compared) == expected, sorted(expected - set(compared))
