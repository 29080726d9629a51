"""Property: for any body, the dry run and the create give the same verdict with the same reasons,
and an eligible one the same fee quote."""
import itertools
import json
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.carriers.base import CarrierUnavailable
from chalicelib.domain.models import Carrier, GoodsType, Platform, PolicyName
from chalicelib.domain.stages import ParcelStage
from chalicelib.rules import policies
from local.resources import demo_merchant, seed_platform
from tests.conftest import KEY_A, ScriptedCarrier, auth, intercept_body, post_intercept

OTHER_POLICIES = {f"key-{policy.value}": Platform(id=f"plat-{policy.value}", name=policy.value, policy=policy)
                  for policy in (PolicyName.pinduoduo, PolicyName.douyin, PolicyName.default)}
#: What the fake carrier's tracking query answers, by the tracking number's last digit.
TRACKING = {0: ParcelStage.picked_up, 1: ParcelStage.in_transit, 2: ParcelStage.at_destination_city,
            3: ParcelStage.at_destination_outlet, 4: ParcelStage.out_for_delivery, 5: ParcelStage.in_locker,
            6: ParcelStage.signed, 7: ParcelStage.returning, 8: ParcelStage.awaiting_pickup}
unique = itertools.count()


def tracked_stage(tracking_no: str) -> ParcelStage:
    digit = int(tracking_no[-1])
    if digit not in TRACKING:
        raise CarrierUnavailable("tracking is down")
    return TRACKING[digit]


@pytest.fixture
def platforms(gw, carrier, monkeypatch):
    """ZTO's route returns to the sending outlet too, YTO's to the sender only; Douyin prices a
    redirect apart from a return, so that redirects are quoted apart from returns somewhere."""
    monkeypatch.setitem(policies.POLICIES, PolicyName.douyin, replace(
        policies.POLICIES[PolicyName.douyin], redirect_fees={carrier: 1_200 for carrier in Carrier}))
    for key, platform in OTHER_POLICIES.items():
        seed_platform(gw.store, platform, key, demo_merchant("2026-01-01T00:00:00.000Z").model_copy(
            update={"amount_min": 1_000, "amount_max": 60_000}))
    sender_only = ScriptedCarrier("yto")
    carrier.can_return_to_outlet = True
    gw.adapters = {"zto": carrier, "yto": sender_only}
    carrier.query_stage = sender_only.query_stage = tracked_stage
    return [KEY_A, *OTHER_POLICIES]


#: Changes to an order that passes everywhere; each example applies up to three of them, so single
#: failures and boundaries come up as often as pile-ups.
CHANGES = {
    "merchant_id": st.just("no-such-merchant"),
    "carrier": st.sampled_from(["yto", "yto", *(carrier.value for carrier in Carrier)]),
    "refund_amount": st.one_of(st.sampled_from([1, 999, 1_000, 49_999, 50_000, 60_000, 60_001]),
                               st.integers(min_value=1, max_value=200_000)),
    "package_count": st.integers(min_value=1, max_value=3),
    "goods_type": st.sampled_from([goods.value for goods in GoodsType]),
    "cross_border": st.booleans(),
    "parcel_stage": st.sampled_from([stage.value for stage in ParcelStage]),
    "after_sale_type": st.sampled_from(["refund_only", "return_and_refund"]),
    "return_to": st.sampled_from(["sender", "outlet"]),
    "redirect_to": st.just({"name": "王小明", "phone": "13812341234", "province": "浙江省", "city": "杭州市",
                            "district": "西湖区", "street": "文三路 90 号"}),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_dry_run_and_create_agree(client, platforms, data):
    key = data.draw(st.sampled_from(platforms), label="platform key")
    names = data.draw(st.sets(st.sampled_from(sorted(CHANGES)), max_size=3), label="changed fields")
    changes = {name: data.draw(CHANGES[name], label=name) for name in sorted(names)}
    last_digit = data.draw(st.integers(min_value=0, max_value=9), label="tracking number's last digit")
    n = next(unique)
    body = intercept_body(**changes, tracking_no=f"HY{n:08d}{last_digit}", order_id=f"o-{n}")

    dry = client.http.post("/v1/eligibility", headers=auth(key), body=json.dumps(body))
    created = post_intercept(client, body, key=key, idempotency_key=f"prop-{n}")

    verdict = json.loads(dry.body)
    if changes.get("return_to") == "outlet" and "redirect_to" in changes:
        # Not a verdict but a malformed body: both refuse it alike, naming the field.
        assert dry.status_code == created.status_code == 400, (dry.body, created.body)
        assert json.loads(dry.body)["error"] == json.loads(created.body)["error"]
        assert [field["field"] for field in json.loads(dry.body)["error"]["fields"]] == ["return_to"]
        return
    assert dry.status_code == 200, dry.body
    if verdict["eligible"]:
        assert created.status_code == 202, created.body
        assert json.loads(created.body)["fee_quote"] == verdict["fee_quote"]
    else:
        assert created.status_code == 422, created.body
        assert json.loads(created.body)["error"]["reasons"] == verdict["reasons"]
