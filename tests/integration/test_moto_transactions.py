"""LocalAws rolls a cancelled TransactWriteItems back by the items it names (local.moto_transactions):
the same answers and the same table afterwards as DynamoDB, without moto's whole-table copies."""
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from local.moto_server import LocalAws

pytestmark = pytest.mark.integration


@pytest.fixture
def table():
    return f"t-{uuid.uuid4().hex}"  # moto's backends are shared by every LocalAws in the process


@pytest.fixture
def dynamodb(table):
    aws = LocalAws()
    aws.start()
    client = boto3.client("dynamodb", endpoint_url=aws.endpoint, region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
    client.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                                              {"AttributeName": "SK", "AttributeType": "S"}])
    client.put_item(TableName=table, Item={"PK": {"S": "a"}, "SK": {"S": "1"}, "n": {"N": "1"}})
    client.put_item(TableName=table, Item={"PK": {"S": "gone"}, "SK": {"S": "1"}})
    yield client
    aws.stop()


def _items(client, table) -> dict:
    return {(item["PK"]["S"], item["SK"]["S"]): item for item in client.scan(TableName=table)["Items"]}


def _writes(table) -> list[dict]:
    """A put of a new item, an update and a delete: one of each kind of write."""
    return [
        {"Put": {"TableName": table, "Item": {"PK": {"S": "new"}, "SK": {"S": "1"}},
                 "ConditionExpression": "attribute_not_exists(PK)"}},
        {"Update": {"TableName": table, "Key": {"PK": {"S": "a"}, "SK": {"S": "1"}},
                    "UpdateExpression": "SET n = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}},
        {"Delete": {"TableName": table, "Key": {"PK": {"S": "gone"}, "SK": {"S": "1"}}}},
    ]


def test_a_cancelled_transaction_leaves_every_item_it_named_as_it_was(dynamodb, table):
    before = _items(dynamodb, table)
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[
            *_writes(table),
            {"ConditionCheck": {"TableName": table, "Key": {"PK": {"S": "missing"}, "SK": {"S": "1"}},
                                "ConditionExpression": "attribute_exists(PK)"}},
        ])
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [reason["Code"] for reason in raised.value.response["CancellationReasons"]] == [
        "None", "None", "None", "ConditionalCheckFailed"]
    assert _items(dynamodb, table) == before


def test_a_transaction_that_passes_applies_every_item(dynamodb, table):
    dynamodb.transact_write_items(TransactItems=_writes(table))
    items = _items(dynamodb, table)
    assert set(items) == {("a", "1"), ("new", "1")}
    assert items[("a", "1")]["n"] == {"N": "2"}
