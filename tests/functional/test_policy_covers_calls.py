"""The hand-written stage policy grants exactly the AWS calls the gateway's functions make.

Every route (the operator's too), the dispatch and notify workers (success, retry, dead-letter), carrier results, the
fee export (planned, its parts run and assembled) and every sweep run against moto while each AWS call is recorded as (IAM action,
resource); the recorded set must be what the policy allows, nothing missing and nothing unused.
"""
from __future__ import annotations

import json
from pathlib import Path

import boto3
import botocore.client
import pytest

import app as app_module
from chalicelib.api.auth import hash_key
from chalicelib.carriers.base import CarrierResult, CarrierUnavailable
from chalicelib.config import dead_letter_queue
from chalicelib.dispatch.accounts import SECRET_PREFIX
from chalicelib.domain.models import EventSource
from chalicelib.domain.stages import ParcelStage, TrackingScan
from chalicelib.schedules.requeue_unsent import requeue_unsent
from chalicelib.store.operators import Operator
from local.lambda_events import scheduled_event
from local.pump import QueuePump
from local.stream_pump import StreamPump, in_process_streams_client
from tests.conftest import auth, end_visibility_timeouts, intercept_body, post_intercept, release_due_messages
from tests.functional.test_dispatch_worker import make_visible

ROOT = Path(__file__).resolve().parents[2]
POLICY = json.loads((ROOT / ".chalice" / "policy-dev.json").read_text())
TEMPLATE = json.loads((ROOT / "infra" / "resources.json").read_text())["Resources"]


#: Called by Lambda's SQS and stream event source mappings on the function's behalf (reading, and
#: sending a change it could not relay to the relay's dead-letter queue), not by our code.
EVENT_SOURCE_ACTIONS = (
    {(action, queue) for queue in ("intercept-dispatch", "intercept-notify", "fee-export-parts")
     for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")}
    | {(action, "table/stream") for action in ("dynamodb:DescribeStream", "dynamodb:GetRecords",
                                               "dynamodb:GetShardIterator", "dynamodb:ListStreams")}
    | {("sqs:SendMessage", TEMPLATE["RelayDeadLetterQueue"]["Properties"]["QueueName"])})
#: S3 operations and the IAM action each needs (multipart parts are PutObject).
S3_ACTIONS = {"CreateMultipartUpload": "s3:PutObject", "UploadPart": "s3:PutObject",
              "CompleteMultipartUpload": "s3:PutObject", "PutObject": "s3:PutObject",
              "AbortMultipartUpload": "s3:AbortMultipartUpload", "GetObject": "s3:GetObject",
              "ListObjectsV2": "s3:ListBucket", "DeleteObjects": "s3:DeleteObject"}
#: SQS batch operations are authorised by the single-message action.
SQS_BATCH_ACTIONS = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                     "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                    "ConditionCheck": "ConditionCheckItem"}


def _resource_name(statement_resource: dict) -> str:
    """`table`, `table/index`, `table/stream`, a queue name, `bucket`, `bucket/*` or `logs`, from a
    statement's Resource."""
    if "Fn::GetAtt" in statement_resource:
        if statement_resource["Fn::GetAtt"][1] == "StreamArn":
            return "table/stream"
        resource = TEMPLATE[statement_resource["Fn::GetAtt"][0]]
        kind = resource["Type"]
        if kind == "AWS::SQS::Queue":
            return resource["Properties"]["QueueName"]
        return "bucket" if kind == "AWS::S3::Bucket" else "table"
    text = statement_resource["Fn::Sub"]
    if text.endswith("/index/*"):
        return "table/index"
    if ":secretsmanager:" in text:
        return "secret/" + text.rsplit(":secret:", 1)[1]
    return "bucket/*" if text.startswith("${ExportBucket.Arn}") else "logs"


def granted() -> set[tuple[str, str]]:
    return {(action, _resource_name(statement["Resource"]))
            for statement in POLICY["Statement"] for action in statement["Action"]
            if not action.startswith("logs:")}


@pytest.fixture
def recorded(monkeypatch):
    calls: set[tuple[str, str]] = set()
    ignored: list = []  # clients that stand in for Lambda's event source mapping, or the test's own
    original = botocore.client.BaseClient._make_api_call

    def record(client, operation, params):
        if any(client is other for other in ignored):
            return original(client, operation, params)
        service = client.meta.service_model.endpoint_prefix
        if service == "dynamodb":
            if operation == "TransactWriteItems":
                for item in params["TransactItems"]:
                    (kind,) = item
                    calls.add((f"dynamodb:{TRANSACT_ACTIONS[kind]}", "table"))
            else:
                calls.add((f"dynamodb:{operation}", "table/index" if params.get("IndexName") else "table"))
        elif service == "sqs":
            queue = params.get("QueueName") or params["QueueUrl"].rsplit("/", 1)[-1]
            calls.add((f"sqs:{SQS_BATCH_ACTIONS.get(operation, operation)}", queue))
        elif service == "secretsmanager":
            assert params["SecretId"].startswith(SECRET_PREFIX)
            calls.add((f"secretsmanager:{operation}", f"secret/{SECRET_PREFIX}*"))
        elif service == "s3":
            calls.add((S3_ACTIONS[operation], "bucket" if operation == "ListObjectsV2" else "bucket/*"))
        return original(client, operation, params)

    return calls, ignored, record, monkeypatch


def test_policy_grants_exactly_the_calls_the_functions_make(client, gw, carrier, clock, recorded, delays_on_clock):
    calls, ignored, record, monkeypatch = recorded
    sqs = boto3.client("sqs")  # the pump's and the test's own queue calls are not the gateway's
    ignored.append(sqs)
    gw.store.operators.put_key(hash_key("key-operator"), Operator(name="on-call"), "2026-11-01T00:00:00.000Z")
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    gw.queues._urls.clear()

    assert client.http.get("/health").status_code == 200
    carrier.scans["ZT1000000003"] = [TrackingScan(at="2026-11-19T02:00:00.000Z", stage=ParcelStage.picked_up, code="GOT")]
    first = json.loads(post_intercept(client, intercept_body()).body)["id"]
    client.http.get("/v1/intercepts", headers=auth())
    client.http.get("/v1/intercepts?merchant_id=demo-merchant", headers=auth())
    client.http.get(f"/v1/intercepts/{first}", headers=auth())

    pump = QueuePump(sqs, gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0)
    carrier.script = [CarrierUnavailable("HTTP 503")] + [CarrierUnavailable("timeout")] * 3
    for _ in range(gw.settings.dispatch_max_attempts):
        pump.run_once()
        clock.advance(minutes=5)
        make_visible(gw)  # the backoff ended now, not waited out

    second = json.loads(post_intercept(client, intercept_body(tracking_no="ZT1000000004", order_id="o-2"),
                                       idempotency_key="idem-2").body)["id"]
    gw.carrier_results.apply(second, CarrierResult.intercepted, source=EventSource.carrier)
    third = json.loads(post_intercept(client, intercept_body(tracking_no="ZT1000000005", order_id="o-3"),
                                      idempotency_key="idem-3").body)["id"]
    client.http.post(f"/v1/intercepts/{third}/cancel", headers=auth(), body="{}")
    clock.advance(hours=1)
    requeue_unsent(gw.store.intercepts, gw.queues, clock, gw.settings.dispatch_queue, 120)

    # Merchant settings, dry run, metrics, refunds, claims, webhooks, fee export, every schedule.
    settings = json.loads(client.http.get("/v1/merchants/demo-merchant/settings", headers=auth()).body)
    settings.pop("merchant_id")
    settings.pop("updated_at")
    client.http.put("/v1/merchants/demo-merchant/settings", headers=auth(), body=json.dumps(
        {**settings, "carrier_accounts": {"zto": {"fields": {"customerCode": "C"},
                                                  "secret_ref": f"{SECRET_PREFIX}demo-merchant/zto"}}}))
    # a dispatch over a route that takes the merchant's own account reads its secret
    secrets = boto3.client("secretsmanager")
    ignored.append(secrets)
    secrets.create_secret(Name=f"{SECRET_PREFIX}demo-merchant/zto", SecretString='{"customerPsw": "p"}')
    from chalicelib.carriers import declarations
    monkeypatch.setitem(gw.merchant_accounts_needed, "zto", declarations()["jumdata"].merchant_account)
    post_intercept(client, intercept_body(tracking_no="ZT1000000017", order_id="o-17"), idempotency_key="idem-17")
    pump.run_once()
    client.http.post("/v1/eligibility", headers=auth(), body=json.dumps(intercept_body(tracking_no="ZT1000000006")))
    client.http.get("/v1/merchants/demo-merchant/metrics?from=2026-11-01T00:00:00Z&to=2026-11-30T00:00:00Z",
                    headers=auth())
    client.http.post(f"/v1/intercepts/{second}/refund-decision", headers=auth(),
                     body=json.dumps({"decision": "arbitrate"}))
    claim = json.loads(client.http.post(f"/v1/intercepts/{second}/claims", headers=auth(),
                                        body=json.dumps({"amount": 100, "description": "damaged"})).body)
    client.http.post(f"/v1/intercepts/{second}/claims/{claim['id']}/resolution", headers=auth(),
                     body=json.dumps({"status": "paid"}))
    client.http.get(f"/v1/intercepts/{second}/webhook-deliveries", headers=auth())
    client.http.put("/v1/webhook-endpoint", headers=auth(), body=json.dumps({"url": "http://127.0.0.1:9/hooks"}))
    client.http.get("/v1/webhook-endpoint", headers=auth())
    fourth = json.loads(post_intercept(client, intercept_body(tracking_no="ZT1000000007", order_id="o-4"),
                                       idempotency_key="idem-4").body)["id"]
    stream = StreamPump(boto3.client("dynamodb"), in_process_streams_client(), gw.settings.table_name,
                        app_module.relay_changes)
    ignored.extend([stream._streams])
    notify = QueuePump(sqs, gw.settings.notify_queue, app_module.notify, wait_seconds=0)
    while stream.run_once():  # the relay queues every change's webhooks
        pass
    while notify.run_once():  # the endpoint refuses connections: each delivery is retried
        pass
    assert client.http.post("/v1/exports/fees", headers=auth(),
                            body=json.dumps({"period": "2026-11-23"})).status_code == 202
    parts = QueuePump(sqs, gw.settings.export_parts_queue, app_module.export_fee_parts, wait_seconds=0)

    failed = []

    def breaks_after_one_row(*args):
        failed.append(args)
        yield gw.store.intercepts.get(second)
        raise RuntimeError("table read failed")

    with monkeypatch.context() as broken:  # a part failing on its detail file aborts its multipart upload
        broken.setattr(gw.store.intercepts, "charged", breaks_after_one_row)
        while not failed:  # the shards' messages send the slices' messages, then a part runs
            assert parts.run_once()
    end_visibility_timeouts(gw.settings.export_parts_queue)
    while parts.run_once():  # every part, then the last one assembles and publishes
        pass
    client.http.get("/v1/exports/fees/2026-11-23", headers=auth())
    client.http.post("/v1/exports/fees", headers=auth(), body=json.dumps({"period": "2026-11-23"}))  # replaces
    while parts.run_once():
        pass
    clock.advance(days=6)
    for schedule in (app_module.sweep_refund_deadlines, app_module.poll_overdue_carrier_results,
                     app_module.export_fees_daily, app_module.resend_due_webhooks):
        schedule(scheduled_event("arn:aws:events:us-east-1:123456789012:rule/test", "us-east-1"), None)
    while parts.run_once():
        pass
    while stream.run_once():
        pass
    release_due_messages(gw)
    while notify.run_once():  # three days of retries are over: the deliveries are dead-lettered
        pass
    assert gw.store.intercepts.get(fourth).refund_status == "refund_timeout"

    # The operator's view, and a redrive of every dead-letter queue (each holds a message by now,
    # the export parts' one put there here).
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=dead_letter_queue(gw.settings.export_parts_queue))["QueueUrl"],
                     MessageBody="{}")
    for path in ("carriers", "queues", "intercepts", "webhook-endpoints"):
        assert client.http.get(f"/v1/operations/{path}", headers=auth("key-operator")).status_code == 200
    for queue in (gw.settings.dispatch_queue, gw.settings.notify_queue, gw.settings.export_parts_queue):
        redriven = client.http.post(f"/v1/operations/queues/{queue}/redrive", headers=auth("key-operator"), body="{}")
        assert json.loads(redriven.body)["moved"] >= 1, redriven.body

    monkeypatch.undo()
    table = gw.settings.table_name
    used = {(action, "table" if resource == table else resource) for action, resource in calls}
    used = {(action, resource) for action, resource in used if not action.startswith("dynamodb:") or
            resource in ("table", "table/index")}
    assert (("sqs:SendMessage", dead_letter_queue(gw.settings.dispatch_queue))) in used, "DLQ path not exercised"
    assert (("sqs:SendMessage", dead_letter_queue(gw.settings.notify_queue))) in used, "notify DLQ not exercised"
    not_allowed = sorted(used - granted())
    assert not not_allowed, f"calls the policy does not allow: {not_allowed}"
    unused = sorted(granted() - EVENT_SOURCE_ACTIONS - used)
    assert not unused, f"actions granted but never used: {unused}"
