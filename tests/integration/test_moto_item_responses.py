"""LocalAws answers DynamoDB item operations with moto's result as JSON (local.moto_item_responses):
each answer must equal what moto's own serializer gives, for every operation and attribute type."""
from __future__ import annotations

import json
import os

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler

from local import moto_item_responses

ITEM = {"PK": {"S": "A"}, "SK": {"S": "1"}, "text": {"S": "文本"}, "count": {"N": "12.50"}, "blob": {"B": b"\x00\xffzlib"},
        "flag": {"BOOL": True}, "nothing": {"NULL": True}, "names": {"SS": ["a", "b"]}, "numbers": {"NS": ["1", "2"]},
        "blobs": {"BS": [b"\x01", b"\x02"]},
        "nested": {"M": {"list": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"deep": {"B": b"\x03"}}}]}}}}


def _table(monkeypatch):
    monkeypatch.setitem(os.environ, "AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("dynamodb", aws_access_key_id="x", aws_secret_access_key="x")
    client.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                                              {"AttributeName": "SK", "AttributeType": "S"}])
    return client


@pytest.fixture
def compared(monkeypatch):
    """A DynamoDB client whose every item answer is built both ways and checked equal."""
    original = DynamoHandler.serialized
    checked: list[str] = []

    def serialized(self, action_result):
        status, headers, body = original(self, action_result)
        operation = self._get_action()
        if operation in moto_item_responses.ITEM_OPERATIONS and isinstance(action_result.result, dict):
            _, _, fast = moto_item_responses.answer_as_json(self, action_result.result)
            assert json.loads(fast) == json.loads(body), operation
            checked.append(operation)
        return status, headers, body

    monkeypatch.setattr(DynamoHandler, "serialized", serialized)
    with mock_aws():
        yield _table(monkeypatch), checked


def test_every_item_operation_answers_as_moto_would(compared):
    client, checked = compared
    key = {"PK": ITEM["PK"], "SK": ITEM["SK"]}
    client.put_item(TableName="t", Item=ITEM, ReturnConsumedCapacity="TOTAL")
    client.put_item(TableName="t", Item={**ITEM, "SK": {"S": "2"}}, ReturnValues="ALL_OLD")
    client.put_item(TableName="t", Item={**ITEM, "SK": {"S": "2"}}, ReturnValues="ALL_OLD")
    assert client.get_item(TableName="t", Key=key, ConsistentRead=True)["Item"]["blob"] == {"B": b"\x00\xffzlib"}
    client.get_item(TableName="t", Key={"PK": {"S": "none"}, "SK": {"S": "none"}})
    client.get_item(TableName="t", Key=key, ProjectionExpression="nested, blobs")
    for returned in ("ALL_NEW", "ALL_OLD", "UPDATED_NEW", "UPDATED_OLD", "NONE"):
        client.update_item(TableName="t", Key=key, UpdateExpression="SET #c = #c + :one",
                           ExpressionAttributeNames={"#c": "count"}, ExpressionAttributeValues={":one": {"N": "1"}},
                           ReturnValues=returned)
    client.query(TableName="t", KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": "A"}},
                 Limit=1, ReturnConsumedCapacity="INDEXES")
    client.query(TableName="t", KeyConditionExpression="PK = :pk", ExpressionAttributeValues={":pk": {"S": "A"}},
                 Select="COUNT")
    client.scan(TableName="t")
    client.batch_get_item(RequestItems={"t": {"Keys": [key, {"PK": {"S": "A"}, "SK": {"S": "2"}}]}})
    client.batch_write_item(RequestItems={"t": [{"PutRequest": {"Item": {**ITEM, "SK": {"S": "3"}}}}]})
    client.transact_get_items(TransactItems=[{"Get": {"TableName": "t", "Key": key}}])
    client.transact_write_items(TransactItems=[{"Update": {"TableName": "t", "Key": key, "UpdateExpression": "SET flag = :f",
                                                           "ExpressionAttributeValues": {":f": {"BOOL": False}}}}])
    client.delete_item(TableName="t", Key=key, ReturnValues="ALL_OLD")
    assert set(checked) == moto_item_responses.ITEM_OPERATIONS


def test_with_the_patch_errors_and_results_reach_the_client_as_from_moto(monkeypatch):
    monkeypatch.setattr(DynamoHandler, "serialized",
                        moto_item_responses.answering_items_as_json(DynamoHandler.serialized))
    with mock_aws():
        client = _table(monkeypatch)
        client.put_item(TableName="t", Item=ITEM)
        with pytest.raises(client.exceptions.ConditionalCheckFailedException):
            client.put_item(TableName="t", Item=ITEM, ConditionExpression="attribute_not_exists(PK)")
        with pytest.raises(client.exceptions.TransactionCanceledException) as cancelled:
            client.transact_write_items(TransactItems=[{"ConditionCheck": {
                "TableName": "t", "Key": {"PK": ITEM["PK"], "SK": ITEM["SK"]}, "ConditionExpression": "flag = :no",
                "ExpressionAttributeValues": {":no": {"BOOL": False}}}}])
        assert cancelled.value.response["CancellationReasons"][0]["Code"] == "ConditionalCheckFailed"
        assert client.get_item(TableName="t", Key={"PK": ITEM["PK"], "SK": ITEM["SK"]})["Item"] == ITEM


def test_stream_records_answer_as_moto_would(monkeypatch):
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    from local.stream_pump import in_process_streams_client

    original = DynamoDBStreamsHandler.serialized
    checked: list[str] = []

    def serialized(self, action_result):
        status, headers, body = original(self, action_result)
        if self._get_action() in moto_item_responses.STREAM_OPERATIONS:
            _, _, fast = moto_item_responses.answer_as_json(self, action_result.result)
            assert json.loads(fast) == json.loads(body)
            checked.append(self._get_action())
        return status, headers, body

    monkeypatch.setattr(DynamoDBStreamsHandler, "serialized", serialized)
    with mock_aws():
        client = _table(monkeypatch)
        client.update_table(TableName="t", StreamSpecification={"StreamEnabled": True,
                                                                 "StreamViewType": "NEW_AND_OLD_IMAGES"})
        client.put_item(TableName="t", Item=ITEM)
        client.put_item(TableName="t", Item={**ITEM, "flag": {"BOOL": False}})
        streams = in_process_streams_client()
        arn = client.describe_table(TableName="t")["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        records = streams.get_records(ShardIterator=iterator)["Records"]
        assert [record["eventName"] for record in records] == ["INSERT", "MODIFY"]
        assert records[1]["dynamodb"]["OldImage"]["blob"] == {"B": b"\x00\xffzlib"}
    assert checked == ["GetRecords"]
