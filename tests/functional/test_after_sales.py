"""After-sales of several parcels: one request, a verdict per target, the refund track on the
after-sale (Douyin's applyLogisticsIntercept shape)."""
import json
from datetime import timedelta

import pytest

from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.models import EventSource, Platform, PolicyName
from chalicelib.domain.stages import ParcelStage
from local.resources import demo_merchant, seed_platform
from tests.conftest import START, auth, deliver_webhooks, intercept_body, post_intercept

KEY_DOUYIN = "key-douyin"
DOUYIN = Platform(id="plat-douyin", name="Douyin", policy=PolicyName.douyin)
SIGNED, MOVING, FAILING = "ZT2000000001", "ZT2000000002", "ZT2000000003"


@pytest.fixture
def douyin(gw, carrier):
    seed_platform(gw.store, DOUYIN, KEY_DOUYIN, demo_merchant("2026-01-01T00:00:00.000Z"))
    stages = {SIGNED: ParcelStage.signed}
    carrier.query_stage = lambda tracking_no: stages.get(tracking_no, ParcelStage.in_transit)
    return gw


def body(**overrides) -> dict:
    overrides.setdefault("targets", [{"carrier": "zto", "tracking_no": number} for number in (SIGNED, MOVING, FAILING)])
    fields = intercept_body(**overrides)
    del fields["carrier"], fields["tracking_no"]
    return fields


def create(client, payload, key=KEY_DOUYIN, idempotency_key="as-key-1"):
    return post_intercept(client, payload, key=key, idempotency_key=idempotency_key)


def result(gw, intercept_id: str, outcome: CarrierResult, reason: str = "") -> None:
    gw.carrier_results.apply(intercept_id, outcome, source=EventSource.carrier, reason=reason)


def get_after_sale(client, after_sale_id="as-1", key=KEY_DOUYIN) -> dict:
    response = client.http.get(f"/v1/after-sales/{after_sale_id}", headers=auth(key))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def test_three_parcels_one_signed_one_intercepted_one_failed_then_the_refusal_the_policy_allows(client, douyin):
    gw = douyin
    dry = client.http.post("/v1/eligibility", headers=auth(KEY_DOUYIN), body=json.dumps(body()))
    assert dry.status_code == 200, dry.body
    dry = json.loads(dry.body)
    response = create(client, body())
    assert response.status_code == 202, response.body
    created = json.loads(response.body)
    # the dry run and the create agree on every target, in the same shape
    assert [(e["tracking_no"], e["eligible"], e["reasons"]) for e in dry["intercepts"]] == \
           [(e["tracking_no"], e["eligible"], e["reasons"]) for e in created["intercepts"]]
    assert set(dry) == set(created) and set(dry["intercepts"][0]) == set(created["intercepts"][0])
    assert dry["after_sale"] == created["after_sale"]
    signed, moving, failing = created["intercepts"]
    assert [reason["code"] for reason in signed["reasons"]] == ["parcel_signed"] and signed["intercept"] is None
    assert moving["intercept"]["status"] == failing["intercept"]["status"] == "pending"
    assert created["after_sale"] == {"id": "as-1", "after_sale_type": "refund_only", "refund_status": "awaiting_result",
                                     "deadlines": {"processing": "2026-11-28T08:00:00.000Z"},
                                     "success_count": 0, "failed_count": 1, "cancelled_count": 0,
                                     "pending_count": 2}
    assert len(gw.queues._sqs.receive_message(QueueUrl=gw.queues.url("intercept-dispatch"),
                                              MaxNumberOfMessages=10).get("Messages", [])) == 2

    result(gw, moving["intercept"]["id"], CarrierResult.intercepted)
    result(gw, failing["intercept"]["id"], CarrierResult.failed, "parcel_out_for_delivery")
    sale = get_after_sale(client)
    assert (sale["success_count"], sale["failed_count"], sale["pending_count"]) == (1, 2, 0)
    assert sale["refund_status"] == "awaiting_result"  # one parcel failed: no automatic refund
    assert [parcel["status"] for parcel in sale["parcels"]] == ["refused", "intercepted", "failed"]
    assert sale["parcels"][1]["intercept"]["refund_status"] == "with_after_sale"

    # a refusal is allowed once a parcel failed (Douyin policy), decided on the after-sale
    decided = client.http.post("/v1/after-sales/as-1/refund-decision", headers=auth(KEY_DOUYIN),
                               body=json.dumps({"decision": "refuse", "note": "two parcels not stopped"}))
    assert decided.status_code == 200, decided.body
    assert json.loads(decided.body)["refund_status"] == "refund_refused"
    again = client.http.post("/v1/after-sales/as-1/refund-decision", headers=auth(KEY_DOUYIN),
                             body=json.dumps({"decision": "agree"}))
    assert again.status_code == 409

    # one idempotency key covers the request
    replay = create(client, body())
    assert replay.status_code == 202 and replay.headers.get("Idempotent-Replayed") == "true"
    assert json.loads(replay.body) == created

    deliver_webhooks(gw)
    types = [delivery["type"] for delivery in gw.store.deliveries.of_intercept(
        "aftersale:plat-douyin:as-1")]
    assert types.count("after_sale.created") == 1
    assert "after_sale.parcels_changed" in types and "after_sale.refused" in types


def test_every_sent_parcel_intercepted_refunds_the_after_sale_automatically(client, douyin):
    created = json.loads(create(client, body()).body)
    for entry in created["intercepts"][1:]:
        result(douyin, entry["intercept"]["id"], CarrierResult.intercepted)
    sale = get_after_sale(client)
    assert sale["refund_status"] == "refund_auto"
    assert (sale["success_count"], sale["failed_count"]) == (2, 1)
    # the per-intercept route still answers, and decides on the after-sale
    response = client.http.post(f"/v1/intercepts/{created['intercepts'][1]['intercept']['id']}/refund-decision",
                                headers=auth(KEY_DOUYIN), body=json.dumps({"decision": "agree"}))
    assert response.status_code == 409
    assert json.loads(response.body)["error"]["code"] == "refund_already_decided"


def test_partial_refund_is_bounded_by_the_refund_amount(client, douyin, clock):
    created = json.loads(create(client, body(refund_amount=3000)).body)
    result(douyin, created["intercepts"][2]["intercept"]["id"], CarrierResult.failed)
    too_much = client.http.post("/v1/after-sales/as-1/refund-decision", headers=auth(KEY_DOUYIN),
                                body=json.dumps({"decision": "partial_refund", "amount": 3000}))
    assert too_much.status_code == 400
    assert json.loads(too_much.body)["error"]["fields"][0]["field"] == "amount"
    missing = client.http.post("/v1/after-sales/as-1/refund-decision", headers=auth(KEY_DOUYIN),
                               body=json.dumps({"decision": "partial_refund"}))
    assert missing.status_code == 400 and json.loads(missing.body)["error"]["fields"][0]["field"] == "amount"
    ok = client.http.post("/v1/after-sales/as-1/refund-decision", headers=auth(KEY_DOUYIN),
                          body=json.dumps({"decision": "partial_refund", "amount": 1200}))
    assert ok.status_code == 200, ok.body
    sale = json.loads(ok.body)
    assert (sale["refund_status"], sale["refund_partial_amount"]) == ("refund_partial", 1200)


def test_refusal_before_any_failure_waits_for_the_policy_days(client, douyin, clock):
    create(client, body())
    early = client.http.post("/v1/after-sales/as-1/refund-decision", headers=auth(KEY_DOUYIN),
                             body=json.dumps({"decision": "refuse"}))
    # the signed target was refused at the door: that counts as a parcel that failed
    assert early.status_code == 200


def test_the_after_sale_times_out_in_the_deadline_sweep(client, douyin, clock):
    create(client, body(targets=[{"carrier": "zto", "tracking_no": MOVING},
                                 {"carrier": "zto", "tracking_no": FAILING}]))
    clock._now = START + timedelta(days=5)
    report = douyin.sweep_refund_deadlines()
    assert report.timed_out == 1
    assert get_after_sale(client)["refund_status"] == "refund_timeout"


def test_kuaishou_refuses_several_parcels_as_multi_package(client, gw):
    payload = body(targets=[{"carrier": "zto", "tracking_no": MOVING}, {"carrier": "zto", "tracking_no": FAILING}])
    response = post_intercept(client, payload)
    assert response.status_code == 422
    error = json.loads(response.body)["error"]
    assert "multi_package" in [reason["code"] for reason in error["reasons"]]
    assert len(error["intercepts"]) == 2


@pytest.mark.parametrize("targets, field", [
    ([], "targets"),
    ([{"carrier": "zto", "tracking_no": MOVING}] * 2, "targets"),
    ([{"carrier": "zto", "tracking_no": f"ZT30000000{n:02d}"} for n in range(21)], "targets"),
])
def test_bad_targets_are_400_naming_the_field(client, douyin, targets, field):
    response = create(client, body(targets=targets))
    assert response.status_code == 400, response.body
    assert json.loads(response.body)["error"]["fields"][0]["field"].startswith(field)


def test_targets_with_carrier_is_400(client, douyin):
    response = create(client, {**body(), "carrier": "zto"})
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["fields"][0]["field"] == "targets"


def test_a_single_parcel_request_is_an_after_sale_of_one(client, gw):
    record = json.loads(post_intercept(client, intercept_body()).body)
    sale = get_after_sale(client, key="key-platform-a")
    assert sale["id"] == "as-1" and sale["pending_count"] == 1 and sale["after_sale_type"] == "refund_only"
    assert sale["parcels"][0]["intercept_id"] == record["id"]
    response = client.http.post("/v1/after-sales/as-1/refund-decision", headers=auth(),
                                body=json.dumps({"decision": "agree"}))
    assert response.status_code == 200, response.body
    assert json.loads(response.body)["refund_status"] == "refund_agreed"


def test_unknown_after_sale_is_404(client, douyin):
    assert client.http.get("/v1/after-sales/nope", headers=auth(KEY_DOUYIN)).status_code == 404


def test_a_return_and_refund_pinduoduo_allows_is_shown_as_such_on_its_after_sale(client, gw):
    pinduoduo = Platform(id="plat-pdd", name="Pinduoduo", policy=PolicyName.pinduoduo)
    seed_platform(gw.store, pinduoduo, "key-pdd", demo_merchant("2026-01-01T00:00:00.000Z"))
    created = post_intercept(client, intercept_body(after_sale_type="return_and_refund"), key="key-pdd")
    assert created.status_code == 202, created.body
    assert get_after_sale(client, key="key-pdd")["after_sale_type"] == "return_and_refund"


def test_a_target_whose_parcel_is_claimed_is_refused_and_the_others_are_sent(client, douyin):
    first = create(client, intercept_body(after_sale_id="as-0", tracking_no=MOVING), idempotency_key="single")
    assert first.status_code == 202, first.body
    response = create(client, body())
    assert response.status_code == 202, response.body
    verdicts = {entry["tracking_no"]: entry for entry in json.loads(response.body)["intercepts"]}
    assert [reason["code"] for reason in verdicts[MOVING]["reasons"]] == ["parcel_already_intercepted"]
    assert verdicts[MOVING]["intercept"] is None and verdicts[FAILING]["intercept"]["status"] == "pending"
