"""The local stage's demo platforms: one API key per platform policy, each with a merchant that passes."""
import json

import pytest

from chalicelib.clock import to_iso
from local.resources import seed_demo
from tests.conftest import auth, intercept_body


@pytest.fixture
def demo(gw, clock):
    seed_demo(gw.store, "demo-key", to_iso(clock.now()))


@pytest.mark.parametrize("key, settlement_mode", [
    ("demo-key", "offline_outlet"), ("demo-kuaishou", "offline_outlet"),
    ("demo-pinduoduo", "online"), ("demo-douyin", "online"),
])
def test_each_demo_platform_accepts_a_valid_request(client, demo, key, settlement_mode):
    body = json.dumps(intercept_body(parcel_stage="in_transit"))
    answer = json.loads(client.http.post("/v1/eligibility", headers=auth(key), body=body).body)
    assert (answer["eligible"], answer["reasons"]) == (True, [])
    assert answer["fee_quote"]["settlement_mode"] == settlement_mode
    assert answer["fee_quote"]["amount"] == 300


@pytest.mark.parametrize("key, package_count, eligible", [
    ("demo-kuaishou", 2, False), ("demo-pinduoduo", 2, False), ("demo-douyin", 2, True),
])
def test_the_demo_platforms_follow_their_own_policies(client, demo, key, package_count, eligible):
    body = json.dumps(intercept_body(parcel_stage="in_transit", package_count=package_count))
    answer = json.loads(client.http.post("/v1/eligibility", headers=auth(key), body=body).body)
    assert answer["eligible"] is eligible


def test_the_demo_merchant_is_editable_through_the_api(client, demo):
    current = json.loads(client.http.get("/v1/merchants/demo-merchant/settings", headers=auth("demo-douyin")).body)
    assert current["version"] == 1


def test_the_demo_operator_key_opens_the_operator_routes_and_no_platform_route(client, demo):
    assert client.http.get("/v1/operations/carriers", headers=auth("demo-operator-key")).status_code == 200
    assert client.http.get("/v1/intercepts", headers=auth("demo-operator-key")).status_code == 401
    assert client.http.get("/v1/operations/carriers", headers=auth("demo-key")).status_code == 401
