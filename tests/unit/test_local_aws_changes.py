"""Which requests to the local AWS may change what its saved state holds (a save follows them)."""
import pytest

from local.moto_server import may_change_state

DYNAMODB, SQS = "DynamoDB_20120810.", "AmazonSQS."


@pytest.mark.parametrize(("method", "target", "changes"), [
    ("POST", DYNAMODB + "PutItem", True),
    ("POST", DYNAMODB + "TransactWriteItems", True),
    ("POST", DYNAMODB + "UpdateTimeToLive", True),
    ("POST", SQS + "SendMessageBatch", True),
    ("POST", SQS + "DeleteMessageBatch", True),
    ("POST", SQS + "ChangeMessageVisibility", True),
    ("PUT", None, True),                       # S3 PutObject, UploadPart
    ("DELETE", None, True),                    # S3 DeleteObject
    ("POST", None, True),                      # S3 multipart, or any query-protocol action (named in the body)
    ("POST", DYNAMODB + "GetItem", False),
    ("POST", DYNAMODB + "Query", False),
    ("POST", DYNAMODB + "BatchGetItem", False),
    ("POST", DYNAMODB + "DescribeTable", False),
    ("POST", SQS + "ReceiveMessage", False),   # its delete or retry is what changes the queue
    ("POST", SQS + "GetQueueUrl", False),
    ("GET", None, False),                      # S3 GetObject, ListObjectsV2
    ("HEAD", None, False),
])
def test_only_writes_may_change_state(method, target, changes):
    environ = {"REQUEST_METHOD": method, **({"HTTP_X_AMZ_TARGET": target} if target else {})}
    assert may_change_state(environ) is changes
