"""Build `infra/resources.json`, the template `chalice package --merge-template` adds to the app.

The table comes from `chalicelib.store.schema`, the queues from `chalicelib.config`, and the Lambda
functions and their SQS event sources from `app.py` itself, so the deployed resources and the code
cannot drift apart (tests/unit/test_infra_template.py checks the committed file is current).

    python -m infra.resources > infra/resources.json
"""
from __future__ import annotations

import json
import sys
from typing import Any

from chalice.app import DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig
from chalice.utils import to_cfn_resource_name

from chalicelib.config import DISPATCH_QUEUE, EXPORT_PARTS_QUEUE, NOTIFY_QUEUE, dead_letter_queue
from chalicelib.domain.models import Carrier
from chalicelib.observability import METRICS_NAMESPACE
from chalicelib.store.schema import TTL_ATTRIBUTE, create_table_params
from local.resources import MAX_RECEIVE_COUNT

TABLE_NAME = "intercept-gateway"
QUEUES = (DISPATCH_QUEUE, NOTIFY_QUEUE, EXPORT_PARTS_QUEUE)
API_FUNCTION = "APIHandler"
#: `api_gateway_stage` of the dev and prod stages in .chalice/config.json: the API's base path.
API_STAGE = "api"
#: Chalice's default Lambda timeout; SQS needs a visibility timeout of at least that, AWS advises 6x.
FUNCTION_TIMEOUT_SECONDS = 60
QUEUE_VISIBILITY_SECONDS = 6 * FUNCTION_TIMEOUT_SECONDS
#: The fee export parts worker has Lambda's whole 15 minutes (`lambda_timeout` in .chalice/config.json).
EXPORT_PARTS_TIMEOUT_SECONDS = 900
VISIBILITY_SECONDS = {EXPORT_PARTS_QUEUE: 6 * EXPORT_PARTS_TIMEOUT_SECONDS}
FOURTEEN_DAYS = 14 * 24 * 3600
#: Exports are finance records: cheaper storage after a quarter, deleted after seven years.
EXPORT_ARCHIVE_AFTER_DAYS = 90
EXPORT_EXPIRE_AFTER_DAYS = 7 * 365
ALARM_TOPIC = "AlarmTopic"
#: Logs are masked but still operational data about buyers' parcels: keep them a quarter, not forever.
LOG_RETENTION_DAYS = 90
CIRCUIT_OPEN_METRIC = "CarrierCircuitOpen"
#: Where a change the outbox relay could not relay for a day goes (its stream record's coordinates).
RELAY_DLQ = "RelayDeadLetterQueue"
RELAY_DLQ_NAME = "intercept-relay-dlq"
#: Stream handlers whose failed batches are retried whole, never split in two.
UNSPLIT_STREAM_HANDLERS = frozenset({"count_merchant_metrics"})


def _logical(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))


def queue_logical_id(queue: str) -> str:
    return _logical(queue) + "Queue"


def table_resource() -> dict:
    params = create_table_params(TABLE_NAME)
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            **params,
            # CloudFormation's StreamSpecification has the view type only (the API's also says "enabled")
            "StreamSpecification": {"StreamViewType": params["StreamSpecification"]["StreamViewType"]},
            "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True},
        },
    }


def queue_resources(queue: str) -> dict:
    dlq = dead_letter_queue(queue)
    return {
        queue_logical_id(dlq): {
            "Type": "AWS::SQS::Queue",
            "Properties": {"QueueName": dlq, "MessageRetentionPeriod": FOURTEEN_DAYS, "SqsManagedSseEnabled": True},
        },
        queue_logical_id(queue): {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": queue,
                "VisibilityTimeout": VISIBILITY_SECONDS.get(queue, QUEUE_VISIBILITY_SECONDS),
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": [queue_logical_id(dlq), "Arn"]},
                                  "maxReceiveCount": MAX_RECEIVE_COUNT},
            },
        },
    }


def bucket_resources() -> dict:
    return {
        "ExportBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]},
                "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                   "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "VersioningConfiguration": {"Status": "Enabled"},
                "LifecycleConfiguration": {"Rules": [
                    {"Id": "archive-then-expire-old-exports", "Status": "Enabled",
                     "Transitions": [{"StorageClass": "GLACIER_IR", "TransitionInDays": EXPORT_ARCHIVE_AFTER_DAYS}],
                     "ExpirationInDays": EXPORT_EXPIRE_AFTER_DAYS,
                     "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
                ]},
            },
        },
        "ExportBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "ExportBucket"},
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                    "Resource": [{"Fn::GetAtt": ["ExportBucket", "Arn"]}, {"Fn::Sub": "${ExportBucket.Arn}/*"}],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }]},
            },
        },
    }


def _alarm(description: str, metric: dict, threshold: float, statistic: str = "Sum") -> dict:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            **metric,
            "Statistic": statistic,
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": ALARM_TOPIC}],
            "OKActions": [{"Ref": ALARM_TOPIC}],
        },
    }


def alarm_resources(functions: list[str]) -> dict:
    alarms: dict[str, Any] = {
        ALARM_TOPIC: {"Type": "AWS::SNS::Topic",
                      "Properties": {"KmsMasterKeyId": "alias/aws/sns",
                                     "DisplayName": "Parcel Intercept Gateway alarms"}},
    }
    for queue in QUEUES:
        dlq = dead_letter_queue(queue)
        alarms[queue_logical_id(dlq) + "DepthAlarm"] = _alarm(
            f"Messages waiting in {dlq}: see docs/operations.md, runbook 'a growing DLQ'.",
            {"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
             "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_logical_id(dlq), "QueueName"]}}]},
            1, statistic="Maximum")
    alarms[RELAY_DLQ + "DepthAlarm"] = _alarm(
        f"Changes the outbox relay could not relay for a day, in {RELAY_DLQ_NAME}: see docs/operations.md, "
        "runbook 'a growing DLQ'.",
        {"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible",
         "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [RELAY_DLQ, "QueueName"]}}]},
        1, statistic="Maximum")
    for function in functions:
        alarms[function + "ErrorsAlarm"] = _alarm(
            f"{function} raised errors: see docs/operations.md.",
            {"Namespace": "AWS/Lambda", "MetricName": "Errors",
             "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": function}}]},
            1)
    for carrier in Carrier:
        alarms[f"{_logical(carrier.value)}CircuitOpenAlarm"] = _alarm(
            f"The gateway stopped calling {carrier.value} after repeated failures: see docs/operations.md, "
            "runbook 'a carrier outage'.",
            {"Namespace": METRICS_NAMESPACE, "MetricName": CIRCUIT_OPEN_METRIC,
             "Dimensions": [{"Name": "carrier", "Value": carrier.value}]},
            1, statistic="Maximum")
    return alarms


def function_overrides(app: Any) -> tuple[list[str], dict]:
    """Per Lambda function: the export bucket's generated name, the carrier config parameter, the
    callback base URL (not on the API handler: the API depends on it), and partial batch responses
    on every SQS event source."""
    functions: dict[str, dict] = {API_FUNCTION: {}}
    for source in app.event_sources:
        name = to_cfn_resource_name(source.name)
        functions[name] = {}
        if isinstance(source, SQSEventConfig):
            functions[name]["Events"] = {f"{name}SqsEventSource": {"Properties": {
                "FunctionResponseTypes": ["ReportBatchItemFailures"]}}}
        elif isinstance(source, DynamoDBEventConfig):
            # The table's own stream; a batch that fails is retried from the failed record, split in
            # two until a poison record is alone (not for the metrics counter: a half could start
            # inside a run it counted, see chalicelib/usecases/metrics_counting.py), and a record
            # failing for a day goes to its DLQ.
            functions[name]["Events"] = {f"{name}DynamodbEventSource": {"Properties": {
                "Stream": {"Fn::GetAtt": ["InterceptTable", "StreamArn"]},
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "BisectBatchOnFunctionError": source.name not in UNSPLIT_STREAM_HANDLERS,
                "MaximumRecordAgeInSeconds": 86_400, "MaximumRetryAttempts": -1,
                "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [RELAY_DLQ, "Arn"]}}}}}}
        elif not isinstance(source, ScheduledEventConfig):
            raise ValueError(f"no template rule for event source {source!r}")
    overrides = {}
    for name, extra in functions.items():
        variables = {"EXPORT_BUCKET": {"Ref": "ExportBucket"}, "CARRIER_CONFIG": {"Ref": "CarrierConfig"}}
        if name != API_FUNCTION:
            variables["PUBLIC_BASE_URL"] = {
                "Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/" + API_STAGE}
        overrides[name] = {"Type": "AWS::Serverless::Function",
                           "Properties": {"Environment": {"Variables": variables}, **extra}}
    return list(functions), overrides


def log_group_resources(functions: list[str]) -> dict:
    return {f"{function}LogGroup": {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{function}}}"},
                       "RetentionInDays": LOG_RETENTION_DAYS},
    } for function in functions}


#: What API Gateway answers itself (before a function runs), in the API's one error shape: an
#: unknown route is a 404 (not a 403 "Missing Authentication Token"), and nothing of the request
#: (its Authorization header included) is echoed. (type, status, code, message: None for API
#: Gateway's own message.)
GATEWAY_RESPONSES = (
    ("MISSING_AUTHENTICATION_TOKEN", "404", "not_found", "no such route"),
    ("UNSUPPORTED_MEDIA_TYPE", "415", "unsupported_media_type", None),
    ("REQUEST_TOO_LARGE", "413", "payload_too_large", None),
    ("THROTTLED", "429", "throttled", "too many requests; retry with backoff"),
    ("QUOTA_EXCEEDED", "429", "quota_exceeded", None),
    ("ACCESS_DENIED", "403", "forbidden", "forbidden"),
    ("INTEGRATION_TIMEOUT", "504", "timeout", "the request took too long; retry it (creates are idempotent)"),
    ("DEFAULT_4XX", None, "bad_request", None),
    ("DEFAULT_5XX", None, "internal_error", "internal error"),
)


def gateway_responses() -> dict:
    responses = {}
    for kind, status, code, message in GATEWAY_RESPONSES:
        text = json.dumps(message) if message else "$context.error.messageString"
        response: dict[str, Any] = {
            "ResponseTemplates": {"application/json": '{"error": {"code": "%s", "message": %s}}' % (code, text)},
            "ResponseParameters": {"Headers": {"Content-Type": "'application/json'"}},
        }
        if status:
            response["StatusCode"] = status
        responses[kind] = response
    return responses


def build(app: Any) -> dict:
    functions, overrides = function_overrides(app)
    resources: dict[str, Any] = {"InterceptTable": table_resource()}
    for queue in QUEUES:
        resources.update(queue_resources(queue))
    resources.update(bucket_resources())
    resources[RELAY_DLQ] = {"Type": "AWS::SQS::Queue",
                            "Properties": {"QueueName": RELAY_DLQ_NAME, "MessageRetentionPeriod": FOURTEEN_DAYS,
                                           "SqsManagedSseEnabled": True}}
    resources.update(alarm_resources(functions))
    resources.update(log_group_resources(functions))
    resources.update(overrides)
    resources["RestAPI"] = {"Type": "AWS::Serverless::Api",
                            "Properties": {"TracingEnabled": True, "GatewayResponses": gateway_responses()}}
    return {
        "Parameters": {
            "CarrierConfig": {
                "Type": "String", "NoEcho": True, "Default": "{}",
                "Description": "JSON: per carrier code, base_url and credentials (see docs/operations.md).",
            },
        },
        "Resources": resources,
        "Outputs": {
            "TableName": {"Value": {"Ref": "InterceptTable"}},
            "ExportBucketName": {"Value": {"Ref": "ExportBucket"}},
            "AlarmTopicArn": {"Value": {"Ref": ALARM_TOPIC}},
            **{queue_logical_id(q) + "Url": {"Value": {"Ref": queue_logical_id(q)}}
               for queue in QUEUES for q in (queue, dead_letter_queue(queue))},
        },
    }


def render(app: Any) -> str:
    return json.dumps(build(app), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    from app import app as chalice_app

    sys.stdout.write(render(chalice_app))
