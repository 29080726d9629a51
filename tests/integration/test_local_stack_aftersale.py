"""The running local stack tells a platform about every change with signed webhooks, and its clock
can be moved forward to watch the 5-day refund deadline fire."""
from __future__ import annotations

import time

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from local.webhook_receiver import WebhookReceiver
from tests.integration.test_local_stack import KEY, _create, _wait_for, stack_process

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack():
    yield from stack_process({"LOCAL_SCHEDULE_SECONDS": "1"})


@pytest.fixture(scope="module")
def platform_endpoint(stack):
    receiver = WebhookReceiver()
    response = requests.put(f"{stack}/v1/webhook-endpoint", json={"url": receiver.url}, timeout=10,
                            headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == 200, response.text
    yield receiver, response.json()["secret"]
    receiver.stop()


def _events_for(receiver: WebhookReceiver, secret: str, intercept_id: str, wanted: set[str],
                seconds: float = 30) -> dict[str, dict]:
    deadline = time.monotonic() + seconds
    while True:
        verified = {}
        for headers, body in list(receiver.received):
            payload = Webhook(secret).verify(body, headers)
            intercept = payload["data"].get("intercept", {})
            if intercept.get("id") == intercept_id:
                verified[payload["type"]] = payload
        if wanted <= set(verified) or time.monotonic() > deadline:
            return verified
        time.sleep(0.2)


def test_an_interception_is_reported_by_verifiable_webhooks(stack, platform_endpoint):
    receiver, secret = platform_endpoint
    intercept_id = _create(stack, "ZT4100000003")["id"]
    wanted = {"intercept.created", "intercept.submitted", "intercept.succeeded", "refund.auto"}
    events = _events_for(receiver, secret, intercept_id, wanted)
    assert set(events) == wanted
    assert events["refund.auto"]["data"]["intercept"]["refund_status"] == "refund_auto"
    log = requests.get(f"{stack}/v1/intercepts/{intercept_id}/webhook-deliveries", timeout=10,
                       headers={"Authorization": f"Bearer {KEY}"}).json()["items"]
    assert {item["status"] for item in log} == {"delivered"}


def test_moving_the_local_clock_five_days_fires_the_refund_timeout(stack, platform_endpoint):
    receiver, secret = platform_endpoint
    record = _wait_for(stack, _create(stack, "ZT4100000008", parcel_stage="in_transit")["id"], {"failed"})
    assert record["refund_status"] == "awaiting_result"
    moved = requests.post(f"{stack}/local/clock", json={"advance_seconds": 5 * 86_400}, timeout=10)
    assert moved.status_code == 200
    assert moved.json()["now"] >= record["deadlines"]["processing"]
    events = _events_for(receiver, secret, record["id"], {"refund.timeout"})
    assert events["refund.timeout"]["data"]["intercept"]["refund_status"] == "refund_timeout"
    shown = requests.get(f"{stack}/v1/intercepts/{record['id']}", timeout=10,
                         headers={"Authorization": f"Bearer {KEY}"}).json()
    assert shown["refund_status"] == "refund_timeout"
    assert shown["events"][-1]["source"] == "schedule"


def test_after_the_clock_moved_carrier_callbacks_still_verify(stack, platform_endpoint):
    """The simulated carriers stamp callbacks with the same moved clock the gateway checks them by."""
    requests.post(f"{stack}/local/clock", json={"advance_seconds": 3600}, timeout=10)
    record = _wait_for(stack, _create(stack, "ZT4100000004")["id"], {"intercepted", "failed", "needs_attention"})
    assert [event["to_status"] for event in record["events"]] == ["pending", "submitted", "intercepted"]
