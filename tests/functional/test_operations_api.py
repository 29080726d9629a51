"""The operator routes (/v1/operations): an operator key of its own, the carriers' circuits, the
queues and a redrive that puts a dead-lettered dispatch back to work, every platform's intercepts
needing attention page by page, and the webhook endpoints that are failing."""
from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

import app as app_module
from chalicelib.api.auth import hash_key
from chalicelib.carriers.base import CarrierUnavailable
from chalicelib.clock import to_iso
from chalicelib.config import dead_letter_queue
from chalicelib.domain.models import Carrier, EventSource, InterceptStatus
from chalicelib.store.circuits import CLOSED, OPEN
from chalicelib.store.operators import Operator
from local.pump import QueuePump
from tests.conftest import (
    KEY_A,
    KEY_B,
    PLATFORM_A,
    PLATFORM_B,
    auth,
    deliver_webhooks,
    intercept_body,
    post_intercept,
    transition,
)
from tests.functional.test_dispatch_worker import make_visible

OPERATOR_KEY = "key-operator"
OPERATOR_ROUTES = [("GET", "/v1/operations/carriers"), ("GET", "/v1/operations/queues"),
                   ("POST", "/v1/operations/queues/intercept-dispatch/redrive"),
                   ("GET", "/v1/operations/intercepts"), ("GET", "/v1/operations/webhook-endpoints")]


@pytest.fixture
def operator_key(gw) -> str:
    gw.store.operators.put_key(hash_key(OPERATOR_KEY), Operator(name="on-call"), "2026-11-01T00:00:00.000Z")
    return OPERATOR_KEY


def call(client, method: str, path: str, key: str | None, body: dict | None = None):
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    if method == "GET":
        return client.http.get(path, headers=headers)
    return client.http.post(path, headers=headers, body=json.dumps(body or {}))


def answer(response) -> dict:
    assert response.status_code == 200, response.body
    return json.loads(response.body)


@pytest.mark.parametrize("method,path", OPERATOR_ROUTES)
def test_operator_routes_refuse_platform_keys_and_no_key(client, operator_key, method, path):
    for key in (KEY_A, None, "not-a-key"):
        refused = call(client, method, path, key)
        assert refused.status_code == 401
        assert json.loads(refused.body)["error"]["code"] == "unauthorized"
    assert call(client, method, path, operator_key).status_code == 200


def test_an_operator_key_opens_no_platform_route(client, operator_key):
    assert client.http.get("/v1/intercepts", headers=auth(operator_key)).status_code == 401
    assert post_intercept(client, intercept_body(), key=operator_key).status_code == 401
    assert client.http.get("/v1/intercepts", headers=auth(KEY_A)).status_code == 200


def test_carriers_lists_every_carrier_with_its_breaker(client, gw, operator_key):
    for _ in range(2):
        gw.store.circuits.add_failure("sf")
    gw.store.circuits.add_failure("zto")
    assert gw.store.circuits.move("zto", CLOSED, OPEN, open_until="2026-11-23T08:00:30.000Z")

    carriers = answer(call(client, "GET", "/v1/operations/carriers", operator_key))["carriers"]
    by_code = {entry["carrier"]: entry["breaker"] for entry in carriers}
    assert [entry["carrier"] for entry in carriers] == [carrier.value for carrier in Carrier]
    assert by_code["zto"] == {"state": "open", "consecutive_failures": 1, "open_until": "2026-11-23T08:00:30.000Z"}
    assert by_code["sf"] == {"state": "closed", "consecutive_failures": 2, "open_until": None}
    assert by_code["yto"] == {"state": "closed", "consecutive_failures": 0, "open_until": None}


def _dead_letter_one_dispatch(client, gw, carrier, clock) -> str:
    """An intercept whose every carrier call failed: needs_attention, its message on the DLQ."""
    intercept_id = json.loads(post_intercept(client, intercept_body()).body)["id"]
    pump = QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0)
    carrier.script = [CarrierUnavailable("HTTP 503")] * gw.settings.dispatch_max_attempts
    for _ in range(gw.settings.dispatch_max_attempts):
        pump.run_once()
        clock.advance(minutes=5)
        make_visible(gw)
    assert gw.store.intercepts.get(intercept_id).status == InterceptStatus.needs_attention
    return intercept_id


def test_queues_show_depths_with_dead_letter_queues(client, gw, carrier, clock, operator_key):
    _dead_letter_one_dispatch(client, gw, carrier, clock)
    gw.queues.send(gw.settings.notify_queue, {"intercept_id": "icp_x", "message_id": "msg_x"})

    queues = answer(call(client, "GET", "/v1/operations/queues", operator_key))["queues"]
    assert [queue["name"] for queue in queues] == ["intercept-dispatch", "intercept-notify", "fee-export-parts"]
    by_name = {queue["name"]: queue for queue in queues}
    assert by_name["intercept-dispatch"]["dead_letter"] == {"name": "intercept-dispatch-dlq", "depth": 1}
    assert by_name["intercept-notify"]["depth"] == 1 and by_name["intercept-notify"]["in_flight"] == 0
    assert by_name["fee-export-parts"]["dead_letter"]["depth"] == 0


def test_redrive_moves_the_dead_lettered_dispatch_back_and_the_carrier_is_called_again(client, gw, carrier, clock,
                                                                                       operator_key):
    intercept_id = _dead_letter_one_dispatch(client, gw, carrier, clock)
    submitted = len(carrier.submitted)
    gw.queues.send(dead_letter_queue(gw.settings.dispatch_queue), {"garbage": True})  # left for a person

    moved = answer(call(client, "POST", "/v1/operations/queues/intercept-dispatch/redrive", operator_key,
                        {"max_messages": 10}))
    assert moved == {"queue": "intercept-dispatch", "moved": 1, "dropped": 0, "left": 1}
    reopened = gw.store.intercepts.get_with_history(intercept_id)
    assert reopened.status == InterceptStatus.pending and reopened.dispatch_attempts == 0
    assert reopened.events[-1].source == EventSource.operator

    QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0).run_once()
    assert len(carrier.submitted) == submitted + 1
    assert gw.store.intercepts.get(intercept_id).status == InterceptStatus.submitted
    dlq_depth = answer(call(client, "GET", "/v1/operations/queues", operator_key))["queues"][0]["dead_letter"]["depth"]
    assert dlq_depth == 0  # the unreadable one is hidden for a while after the receive, not deleted
    assert gw.queues.depth(dead_letter_queue(gw.settings.dispatch_queue))[1] == 1


def test_redrive_refuses_an_unknown_queue_and_a_bad_bound(client, operator_key):
    unknown = call(client, "POST", "/v1/operations/queues/nope/redrive", operator_key)
    assert unknown.status_code == 404 and json.loads(unknown.body)["error"]["fields"][0]["field"] == "name"
    for bad in (0, 201, "10"):
        refused = call(client, "POST", "/v1/operations/queues/intercept-dispatch/redrive", operator_key,
                       {"max_messages": bad})
        assert refused.status_code == 400
        assert json.loads(refused.body)["error"]["fields"][0]["field"] == "max_messages"


def test_needs_attention_lists_every_platform_most_recent_first_page_by_page(client, gw, clock, operator_key):
    stuck = []
    for n, key in enumerate([KEY_A, KEY_B, KEY_A, KEY_B, KEY_A]):
        created = json.loads(post_intercept(client, intercept_body(tracking_no=f"ZT10000000{n + 10}",
                                                                   order_id=f"o-{n}"),
                                            key=key, idempotency_key=f"idem-{n}").body)["id"]
        clock.advance(seconds=10)
        transition(gw, gw.store.intercepts.get(created), to_status=InterceptStatus.needs_attention,
                   source=EventSource.worker, reason="carrier unreachable")
        stuck.append(created)
    post_intercept(client, intercept_body(tracking_no="ZT1000000099", order_id="o-p"), idempotency_key="idem-p")

    pages, cursor = [], None
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = answer(call(client, "GET", f"/v1/operations/intercepts?status=needs_attention&{query}", operator_key))
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    listed = [item for page in pages for item in page]
    assert [len(page) for page in pages][:3] == [2, 2, 1]
    assert [item["id"] for item in listed] == list(reversed(stuck))
    assert {item["platform_id"] for item in listed} == {PLATFORM_A.id, PLATFORM_B.id}
    assert all(item["status"] == "needs_attention" and "events" not in item for item in listed)
    pending = answer(call(client, "GET", "/v1/operations/intercepts?status=pending", operator_key))["items"]
    assert [item["tracking_no"] for item in pending] == ["ZT1000000099"]


def test_intercepts_listing_names_bad_parameters(client, operator_key):
    for query, field in (("status=intercepted", "status"), ("limit=0", "limit"), ("limit=abc", "limit"),
                         ("limit=" + "9" * 5000, "limit"),
                         ("cursor=garbage", "cursor"), ("platform_id=x", "platform_id")):
        refused = call(client, "GET", f"/v1/operations/intercepts?{query}", operator_key)
        assert refused.status_code == 400, query
        assert json.loads(refused.body)["error"]["fields"][0]["field"] == field


def test_webhook_endpoints_lists_the_failing_and_the_disabled(client, gw, clock, operator_key, delays_on_clock):
    def register(key: str):
        assert client.http.put("/v1/webhook-endpoint", headers=auth(key),
                               body=json.dumps({"url": "http://127.0.0.1:9/hooks"})).status_code == 200

    register(KEY_A)
    register(KEY_B)
    assert answer(call(client, "GET", "/v1/operations/webhook-endpoints", operator_key)) == {"endpoints": []}

    post_intercept(client, intercept_body())
    deliver_webhooks(gw)  # nothing listens on port 9: the delivery fails, and is retried
    shown = answer(call(client, "GET", "/v1/operations/webhook-endpoints", operator_key))["endpoints"]
    assert shown == []  # a few failures retried within minutes are not "failing" yet
    for _ in range(5):  # the fifth failure's retry is more than 15 minutes off: not seen by the last round
        clock.advance(minutes=30)
        deliver_webhooks(gw)
    gw.store.webhook_endpoints.disable(PLATFORM_B.id, "http://127.0.0.1:9/hooks", "the endpoint answered 410 Gone",
                                       clock.now())

    shown = answer(call(client, "GET", "/v1/operations/webhook-endpoints", operator_key))["endpoints"]
    failing, disabled = shown
    assert failing["platform_id"] == PLATFORM_A.id and failing["enabled"] is True
    assert failing["failing_deliveries"] == 1 and failing["last_error"] == "connection failed"
    assert failing["url"] == "http://127.0.0.1:9/hooks" and failing["last_failure_at"] == to_iso(clock.now() - timedelta(minutes=30))
    assert disabled == {"platform_id": PLATFORM_B.id, "url": "http://127.0.0.1:9/hooks", "enabled": False,
                        "disabled_reason": "the endpoint answered 410 Gone", "failing_deliveries": 0,
                        "last_failure_at": None, "last_error": None}
