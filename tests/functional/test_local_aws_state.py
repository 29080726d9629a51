"""The local stack's saved AWS state (local/aws_state.py): each kind of state the gateway keeps in
AWS is saved to JSON, restored into an empty AWS and found as it was; the resource bootstrap then
keeps it."""
from __future__ import annotations

import gzip
import json
import time
from contextlib import contextmanager
from typing import Iterator

import boto3
import pytest
from moto import mock_aws

from chalicelib.store import Store
from chalicelib.store.codec import pack
from chalicelib.store.schema import TTL_ATTRIBUTE, create_table_params
from local import aws_state
from local.resources import DEMO_MERCHANT_ID, DEMO_PLATFORM, create_resources, seed_demo
from local.state_files import UnreadableState

REGION = "us-east-1"


@contextmanager
def empty_aws() -> Iterator[tuple]:
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION), boto3.client("sqs", region_name=REGION), \
            boto3.client("s3", region_name=REGION)


def saved(populate, settings) -> str:
    """The state file's text after `populate(dynamodb, sqs, s3)` on freshly created resources."""
    with empty_aws() as clients:
        create_resources(*clients, settings)
        populate(*clients)
        return aws_state.encode(aws_state.capture(REGION))


def _all_items(dynamodb, table: str) -> list[dict]:
    items = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    return sorted(items, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))


ITEMS = [
    {"PK": {"S": "INTERCEPT#1"}, "SK": {"S": "RECORD"}, "status": {"S": "pending"}, "version": {"N": "3"},
     "history": {"B": pack('[{"to_status": "pending", "reason": "买家申请退款"}]')},
     "GSI1PK": {"S": "PLATFORM#plat-a"}, "created_at": {"S": "2026-11-23T08:00:00.000Z"},
     "GSI3PK": {"S": "OPEN"}, "GSI3SK": {"S": "2026-11-23T08:00:00.000Z"},
     "expires_at": {"N": "1795000000"}},
    {"PK": {"S": "INTERCEPT#1"}, "SK": {"S": "EVENT#0001"}, "flags": {"BOOL": True}, "note": {"NULL": True},
     "tags": {"SS": ["a", "b"]}, "counts": {"NS": ["1", "2.5"]}, "digests": {"BS": [b"\x00\x01", b"\xff"]},
     "nested": {"M": {"raw": {"B": b"\x00\xfe\x7f"}, "list": {"L": [{"B": b"\x01"}, {"S": "x"}, {"N": "7"}]}}}},
    {"PK": {"S": "LOCAL#CLOCK"}, "SK": {"S": "CLOCK"}, "offset_seconds": {"N": "3600.5"}},
]


def test_table_items_binary_values_indexes_and_ttl_survive(settings):
    def populate(dynamodb, sqs, s3):
        for item in ITEMS:
            dynamodb.put_item(TableName=settings.table_name, Item=item)

    text = saved(populate, settings)
    with empty_aws() as (dynamodb, sqs, s3):
        aws_state.restore(aws_state.decode(text, "saved"), dynamodb, sqs, s3)
        assert _all_items(dynamodb, settings.table_name) == sorted(
            ITEMS, key=lambda item: (item["PK"]["S"], item["SK"]["S"]))
        table = dynamodb.describe_table(TableName=settings.table_name)["Table"]
        wanted = create_table_params(settings.table_name)
        assert table["KeySchema"] == wanted["KeySchema"]
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert _projections(table["GlobalSecondaryIndexes"]) == _projections(wanted["GlobalSecondaryIndexes"])
        by_platform = dynamodb.query(TableName=settings.table_name, IndexName="by_platform",
                                     KeyConditionExpression="GSI1PK = :platform",
                                     ExpressionAttributeValues={":platform": {"S": "PLATFORM#plat-a"}})["Items"]
        assert [item["PK"]["S"] for item in by_platform] == ["INTERCEPT#1"]
        assert dynamodb.describe_time_to_live(TableName=settings.table_name)["TimeToLiveDescription"] == {
            "TimeToLiveStatus": "ENABLED", "AttributeName": TTL_ATTRIBUTE}


def _projections(indexes: list[dict]) -> dict[str, str]:
    return {index["IndexName"]: index["Projection"]["ProjectionType"] for index in indexes}


def test_queue_attributes_and_waiting_messages_survive_with_when_each_is_due(settings):
    def populate(dynamodb, sqs, s3):
        dispatch = sqs.get_queue_url(QueueName=settings.dispatch_queue)["QueueUrl"]
        sqs.send_message(QueueUrl=dispatch, MessageBody='{"intercept_id": "ready"}')
        sqs.send_message(QueueUrl=dispatch, MessageBody='{"intercept_id": "delayed"}', DelaySeconds=600)
        sqs.send_message(QueueUrl=dispatch, MessageBody='{"intercept_id": "in flight"}')
        received = sqs.receive_message(QueueUrl=dispatch, MaxNumberOfMessages=10)["Messages"]
        in_flight = next(message for message in received if "in flight" in message["Body"])
        ready = next(message for message in received if "ready" in message["Body"])
        sqs.change_message_visibility(QueueUrl=dispatch, ReceiptHandle=in_flight["ReceiptHandle"],
                                      VisibilityTimeout=300)
        sqs.change_message_visibility(QueueUrl=dispatch, ReceiptHandle=ready["ReceiptHandle"], VisibilityTimeout=0)
        dlq = sqs.get_queue_url(QueueName=settings.dispatch_queue + "-dlq")["QueueUrl"]
        sqs.send_message(QueueUrl=dlq, MessageBody='{"intercept_id": "dead"}')

    text = saved(populate, settings)

    def restored_bodies(now: float) -> tuple[dict, list[str], list[str]]:
        with empty_aws() as (dynamodb, sqs, s3):
            aws_state.restore(aws_state.decode(text, "saved"), dynamodb, sqs, s3, now=now)
            dispatch = sqs.get_queue_url(QueueName=settings.dispatch_queue)["QueueUrl"]
            dlq = sqs.get_queue_url(QueueName=settings.dispatch_queue + "-dlq")["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=dispatch, AttributeNames=["All"])["Attributes"]
            return (attributes, _bodies(sqs, dispatch), _bodies(sqs, dlq))

    attributes, waiting, dead = restored_bodies(now=time.time())
    assert attributes["VisibilityTimeout"] == "30"
    dlq_arn = f"arn:aws:sqs:{REGION}:123456789012:{settings.dispatch_queue}-dlq"
    assert json.loads(attributes["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 10}
    assert waiting == ['{"intercept_id": "ready"}']  # the other two are not due yet
    assert dead == ['{"intercept_id": "dead"}']
    _, waiting_later, _ = restored_bodies(now=time.time() + 900)
    assert sorted(waiting_later) == sorted(['{"intercept_id": "ready"}', '{"intercept_id": "delayed"}',
                                            '{"intercept_id": "in flight"}'])


def _bodies(sqs, url: str) -> list[str]:
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [message["Body"] for message in received]


def test_bucket_objects_with_content_type_and_metadata_survive(settings):
    manifest_key = "fees/period=2026-11/platform=plat-a/manifest.json"
    detail_key = "fees/period=2026-11/platform=plat-a/run=r1/detail.csv"
    detail = "\ufeffmerchant,商户,fee\r\ndemo-merchant,演示,300\r\n".encode("utf-8")

    def populate(dynamodb, sqs, s3):
        s3.put_object(Bucket=settings.export_bucket, Key=manifest_key, Body=b'{"rows": 1}',
                      ContentType="application/json")
        s3.put_object(Bucket=settings.export_bucket, Key=detail_key, Body=gzip.compress(detail),
                      ContentType="text/csv; charset=utf-8", Metadata={"run": "r1"})

    text = saved(populate, settings)
    with empty_aws() as (dynamodb, sqs, s3):
        aws_state.restore(aws_state.decode(text, "saved"), dynamodb, sqs, s3)
        keys = [entry["Key"] for entry in s3.list_objects_v2(Bucket=settings.export_bucket)["Contents"]]
        assert sorted(keys) == sorted([manifest_key, detail_key])
        manifest = s3.get_object(Bucket=settings.export_bucket, Key=manifest_key)
        assert (manifest["Body"].read(), manifest["ContentType"]) == (b'{"rows": 1}', "application/json")
        stored = s3.get_object(Bucket=settings.export_bucket, Key=detail_key)
        assert gzip.decompress(stored["Body"].read()) == detail
        assert (stored["ContentType"], stored["Metadata"]) == ("text/csv; charset=utf-8", {"run": "r1"})


def test_the_bootstrap_keeps_restored_resources_and_their_data(settings):
    """After a restore, `make run` creates its resources and seeds the demo platforms again: nothing
    restored is lost, and settings a developer changed stay changed."""
    def populate(dynamodb, sqs, s3):
        store = Store(dynamodb, settings.table_name)
        seed_demo(store, "demo-key", "2026-11-01T00:00:00.000Z")
        merchant = store.merchants.get(DEMO_PLATFORM.id, DEMO_MERCHANT_ID)
        store.merchants.save(DEMO_PLATFORM.id, merchant.model_copy(update={"amount_max": 500, "version": 2}),
                             expected_version=1)
        dynamodb.put_item(TableName=settings.table_name, Item=ITEMS[0])
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=settings.notify_queue)["QueueUrl"], MessageBody="{}")
        s3.put_object(Bucket=settings.export_bucket, Key="fees/x", Body=b"x")

    text = saved(populate, settings)
    with empty_aws() as (dynamodb, sqs, s3):
        aws_state.restore(aws_state.decode(text, "saved"), dynamodb, sqs, s3)
        before = _all_items(dynamodb, settings.table_name)
        create_resources(dynamodb, sqs, s3, settings)
        seed_demo(Store(dynamodb, settings.table_name), "demo-key", "2026-12-01T00:00:00.000Z")
        assert _all_items(dynamodb, settings.table_name) == before
        merchant = Store(dynamodb, settings.table_name).merchants.get(DEMO_PLATFORM.id, DEMO_MERCHANT_ID)
        assert (merchant.amount_max, merchant.version) == (500, 2)
        notify = sqs.get_queue_url(QueueName=settings.notify_queue)["QueueUrl"]
        assert _bodies(sqs, notify) == ["{}"]
        assert s3.get_object(Bucket=settings.export_bucket, Key="fees/x")["Body"].read() == b"x"


def test_the_bootstrap_adds_an_index_the_saved_table_did_not_have(settings):
    params = create_table_params(settings.table_name)
    newest = params["GlobalSecondaryIndexes"][-1]
    kept = params["GlobalSecondaryIndexes"][:-1]
    used = {part["AttributeName"] for index in kept for part in index["KeySchema"]} | {"PK", "SK"}
    older = {**params, "GlobalSecondaryIndexes": kept,
             "AttributeDefinitions": [definition for definition in params["AttributeDefinitions"]
                                      if definition["AttributeName"] in used]}
    assert newest["IndexName"] not in {index["IndexName"] for index in kept}
    with empty_aws() as (dynamodb, sqs, s3):
        dynamodb.create_table(**older)
        dynamodb.put_item(TableName=settings.table_name, Item=ITEMS[2])
        create_resources(dynamodb, sqs, s3, settings)
        table = dynamodb.describe_table(TableName=settings.table_name)["Table"]
        assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == {
            index["IndexName"] for index in params["GlobalSecondaryIndexes"]}
        assert len(_all_items(dynamodb, settings.table_name)) == 1


@pytest.mark.parametrize("text", ["", "not json", "[]", '{"format": "something else", "version": 1}',
                                  json.dumps({"format": aws_state.FORMAT, "version": aws_state.VERSION + 1})])
def test_a_file_this_version_did_not_write_is_refused(text):
    with pytest.raises(UnreadableState) as refused:
        aws_state.decode(text, "/somewhere/aws-state.json")
    assert "/somewhere/aws-state.json" in str(refused.value)
