"""The running local stack intercepts on its own when a merchant's auto_intercept rule covers a
platform's refund-requested event, once however often (and however concurrently) the event comes."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.integration.test_local_stack import KEY, _path, _wait_for, stack_process

pytestmark = pytest.mark.integration

HEADERS = {"Authorization": f"Bearer {KEY}"}
RULE = {"enabled": True, "amount_min": 1000, "amount_max": 40_000, "carriers": ["zto"], "goods_types": ["general"]}


@pytest.fixture(scope="module")
def stack():
    yield from stack_process()


@pytest.fixture(scope="module")
def with_rule(stack):
    url = f"{stack}/v1/merchants/demo-merchant/settings"
    current = requests.get(url, headers=HEADERS, timeout=10).json()
    update = {name: value for name, value in current.items() if name not in {"merchant_id", "updated_at"}}
    response = requests.put(url, json={**update, "auto_intercept": RULE}, headers=HEADERS, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["auto_intercept"]["after_sale_types"] == ["refund_only"]
    return stack


def _event(tracking_no: str, **overrides) -> dict:
    return {"event_id": f"evt-{tracking_no}", "merchant_id": "demo-merchant", "order_id": f"o-{tracking_no}",
            "after_sale_id": f"as-{tracking_no}", "after_sale_type": "refund_only", "refund_amount": 4999,
            "parcels": [{"carrier": "zto", "tracking_no": tracking_no}], **overrides}


def _deliver(url: str, body: dict) -> requests.Response:
    return requests.post(f"{url}/v1/after-sale-events", json=body, headers=HEADERS, timeout=30)


def _intercepts_of(url: str, after_sale_id: str) -> list[dict]:
    return requests.get(f"{url}/v1/intercepts", params={"after_sale_id": after_sale_id}, headers=HEADERS,
                        timeout=10).json()["items"]


def test_an_event_matching_a_merchant_rule_creates_exactly_one_interception_even_when_delivered_5_times(with_rule):
    body = _event("ZT5100000003")
    with ThreadPoolExecutor(max_workers=5) as pool:
        responses = list(pool.map(lambda _: _deliver(with_rule, body), range(5)))
    assert [response.status_code for response in responses] == [200] * 5, [r.text for r in responses]
    answers = [response.json() for response in responses]
    assert all(answer == answers[0] for answer in answers)
    assert sorted(response.headers.get("Idempotent-Replayed", "") for response in responses) == [""] + ["true"] * 4
    assert answers[0]["matched"] is True and answers[0]["action"] == "intercept_requested"
    intercept_id = answers[0]["result"]["intercepts"][0]["intercept"]["id"]
    assert [item["id"] for item in _intercepts_of(with_rule, "as-ZT5100000003")] == [intercept_id]
    # the interception goes its way as any other: dispatched once, intercepted by the carrier
    record = _wait_for(with_rule, intercept_id, {"intercepted", "failed", "needs_attention"})
    assert _path(record) == ["pending", "submitted", "intercepted"]
    late = _deliver(with_rule, body)
    assert late.json() == answers[0] and late.headers["Idempotent-Replayed"] == "true"
    assert len(_intercepts_of(with_rule, "as-ZT5100000003")) == 1


def test_an_event_the_rule_does_not_cover_says_which_condition_and_creates_nothing(with_rule):
    response = _deliver(with_rule, _event("ZT5200000003", refund_amount=45_000, after_sale_type="return_and_refund"))
    assert response.status_code == 200
    answer = response.json()
    assert (answer["matched"], answer["action"], answer["result"]) == (False, "none", None)
    assert [condition["code"] for condition in answer["conditions"] if not condition["matched"]] == [
        "after_sale_type", "amount"]
    assert _intercepts_of(with_rule, "as-ZT5200000003") == []
