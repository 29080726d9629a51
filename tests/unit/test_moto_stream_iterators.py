import boto3
from moto import mock_aws
from moto.dynamodbstreams.models import dynamodbstreams_backends

from local import moto_stream_iterators
from local.stream_pump import in_process_streams_client


def test_moto_keeps_only_the_newest_shard_iterators_and_the_newest_still_reads():
    moto_stream_iterators.install()
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        arn = dynamodb.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )["TableDescription"]["LatestStreamArn"]
        dynamodb.put_item(TableName="t", Item={"pk": {"S": "a"}})
        streams = in_process_streams_client()
        shard_id = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        for _ in range(moto_stream_iterators.KEEP + 200):
            iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id,
                                                  ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        assert len(dynamodbstreams_backends["123456789012"]["us-east-1"].shard_iterators) == moto_stream_iterators.KEEP
        records = streams.get_records(ShardIterator=iterator)["Records"]
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["a"]
