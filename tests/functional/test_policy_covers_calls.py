"""The hand-written stage policy grants exactly the AWS calls the gateway's functions make.

Every route, the dispatch worker (success, retry, dead-letter), a carrier result and the sweep run
against moto while each AWS call is recorded as (IAM action, resource); the recorded set must be
what the policy allows, nothing missing and nothing unused.
"""
from __future__ import annotations

import json
from pathlib import Path

import boto3
import botocore.client
import pytest

import app as app_module
from chalicelib.carriers.base import CarrierResult, CarrierUnavailable
from chalicelib.config import dead_letter_queue
from chalicelib.models import EventSource
from chalicelib.store.keys import callback_receipt
from chalicelib.sweeps import requeue_unsent
from local.pump import QueuePump
from tests.conftest import auth, intercept_body, post_intercept

ROOT = Path(__file__).resolve().parents[2]
POLICY = json.loads((ROOT / ".chalice" / "policy-dev.json").read_text())
TEMPLATE = json.loads((ROOT / "infra" / "resources.json").read_text())["Resources"]

#: Called by Lambda's SQS event source mapping on the function's behalf, not by our code.
EVENT_SOURCE_ACTIONS = {("sqs:ReceiveMessage", "intercept-dispatch"), ("sqs:DeleteMessage", "intercept-dispatch"),
                        ("sqs:GetQueueAttributes", "intercept-dispatch")}
TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                    "ConditionCheck": "ConditionCheckItem"}


def _resource_name(statement_resource: dict) -> str:
    """`table`, `table/index`, a queue name or `logs`, from a policy statement's Resource."""
    if "Fn::GetAtt" in statement_resource:
        resource = TEMPLATE[statement_resource["Fn::GetAtt"][0]]
        return resource["Properties"]["QueueName"] if resource["Type"] == "AWS::SQS::Queue" else "table"
    text = statement_resource["Fn::Sub"]
    return "table/index" if text.endswith("/index/*") else "logs"


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
            calls.add((f"sqs:{operation}", queue))
        return original(client, operation, params)

    return calls, ignored, record, monkeypatch


def test_policy_grants_exactly_the_calls_the_functions_make(client, gw, carrier, clock, recorded):
    calls, ignored, record, monkeypatch = recorded
    sqs = boto3.client("sqs")  # the pump's and the test's own queue calls are not the gateway's
    ignored.append(sqs)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    gw.queues._urls.clear()

    assert client.http.get("/health").status_code == 200
    first = json.loads(post_intercept(client, intercept_body()).body)["id"]
    client.http.get("/v1/intercepts", headers=auth())
    client.http.get("/v1/intercepts?merchant_id=demo-merchant", headers=auth())
    client.http.get(f"/v1/intercepts/{first}", headers=auth())

    pump = QueuePump(sqs, gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0)
    carrier.script = [CarrierUnavailable("HTTP 503")] + [CarrierUnavailable("timeout")] * 3
    for _ in range(gw.settings.dispatch_max_attempts):
        pump.run_once()
        clock.advance(minutes=5)
        sqs.receive_message(QueueUrl=gw.queues.url(gw.settings.dispatch_queue), VisibilityTimeout=0,
                            WaitTimeSeconds=3)

    second = json.loads(post_intercept(client, intercept_body(tracking_no="ZT1000000004", order_id="o-2"),
                                       idempotency_key="idem-2").body)["id"]
    gw.intercepts.apply_carrier_result(second, CarrierResult.intercepted, source=EventSource.carrier,
                                       receipt=callback_receipt("zto", "evt-1"))
    third = json.loads(post_intercept(client, intercept_body(tracking_no="ZT1000000005", order_id="o-3"),
                                      idempotency_key="idem-3").body)["id"]
    client.http.post(f"/v1/intercepts/{third}/cancel", headers=auth(), body="{}")
    clock.advance(hours=1)
    requeue_unsent(gw.store, gw.queues, clock, gw.settings.dispatch_queue, 120)

    monkeypatch.undo()
    table = gw.settings.table_name
    used = {(action, "table" if resource == table else resource) for action, resource in calls}
    used = {(action, resource) for action, resource in used if not action.startswith("dynamodb:") or
            resource in ("table", "table/index")}
    assert (("sqs:SendMessage", dead_letter_queue(gw.settings.dispatch_queue))) in used, "DLQ path not exercised"
    assert used - granted() == set(), "calls the policy does not allow"
    assert granted() - EVENT_SOURCE_ACTIONS - used == set(), "actions granted but never used"
