"""POST /v1/after-sale-events: the gateway intercepts on its own when the merchant's auto_intercept
rule covers a refund-requested event, once per event however often it is delivered, and answers
which condition did not match otherwise, for one settings read and no write."""
from __future__ import annotations

import json

import pytest

from bench.aws_meter import AwsMeter
from chalicelib import runtime
from chalicelib.domain.stages import ParcelStage
from chalicelib.store import ListQuery
from local.resources import demo_merchant, seed_platform
from tests.conftest import KEY_A, KEY_B, MERCHANT, PLATFORM_A, PLATFORM_B, auth, intercept_body, post_intercept

RULE = {"enabled": True, "amount_min": 1000, "amount_max": 40_000, "carriers": ["zto"], "goods_types": ["general"]}


def event(**overrides) -> dict:
    body = {"event_id": "evt-1", "merchant_id": MERCHANT, "order_id": "order-1", "after_sale_id": "as-1",
            "after_sale_type": "refund_only", "refund_amount": 4999,
            "parcels": [{"carrier": "zto", "tracking_no": "ZT1000000003"}], "goods_type": "general"}
    body.update(overrides)
    return body


def deliver(client, body: dict, key: str = KEY_A):
    return client.http.post("/v1/after-sale-events", headers=auth(key), body=json.dumps(body))


def set_rule(client, rule: dict | None, merchant_id: str = MERCHANT, key: str = KEY_A) -> dict:
    """The merchant's settings as they are, with `auto_intercept` replaced, through the settings API."""
    current = json.loads(client.http.get(f"/v1/merchants/{merchant_id}/settings", headers=auth(key)).body)
    update = {name: value for name, value in current.items() if name not in {"merchant_id", "updated_at"}}
    response = client.http.put(f"/v1/merchants/{merchant_id}/settings", headers=auth(key),
                               body=json.dumps({**update, "auto_intercept": rule}))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def intercepts_of(gw, after_sale_id: str = "as-1", platform_id: str = PLATFORM_A.id) -> list:
    found, _ = gw.store.intercepts.list(ListQuery(platform_id=platform_id, after_sale_id=after_sale_id, limit=50))
    return found


def queued_dispatches(gw) -> int:
    attributes = gw.queues._sqs.get_queue_attributes(QueueUrl=gw.queues.url(gw.settings.dispatch_queue),
                                                     AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def unmatched(answer: dict) -> list[str]:
    return [condition["code"] for condition in answer["conditions"] if not condition["matched"]]


def test_an_event_matching_a_merchant_rule_creates_exactly_one_interception_even_when_delivered_5_times(client, gw):
    set_rule(client, RULE)
    responses = [deliver(client, event()) for _ in range(5)]
    assert [response.status_code for response in responses] == [200] * 5
    first = json.loads(responses[0].body)
    assert first["matched"] is True and first["action"] == "intercept_requested"
    assert [condition["code"] for condition in first["conditions"]] == [
        "enabled", "after_sale_type", "amount", "carriers", "goods_type"]
    entry, = first["result"]["intercepts"]
    assert (entry["tracking_no"], entry["eligible"]) == ("ZT1000000003", True)
    assert first["result"]["after_sale"]["id"] == "as-1"
    assert "Idempotent-Replayed" not in responses[0].headers
    for again in responses[1:]:
        assert json.loads(again.body) == first
        assert again.headers["Idempotent-Replayed"] == "true"
    records = intercepts_of(gw)
    assert [record.id for record in records] == [entry["intercept"]["id"]]
    assert records[0].after_sale_type.value == "refund_only"
    assert records[0].reason == "auto_intercept: refund requested"
    assert queued_dispatches(gw) == 1


def test_an_interception_made_from_an_event_is_dispatched_like_any_other(client, gw, carrier):
    set_rule(client, RULE)
    intercept_id = json.loads(deliver(client, event()).body)["result"]["intercepts"][0]["intercept"]["id"]
    sqs, url = gw.queues._sqs, gw.queues.url(gw.settings.dispatch_queue)
    from chalicelib.queues import QueueMessage

    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    gw.dispatcher.handle_batch([QueueMessage(m["MessageId"], m["ReceiptHandle"], m["Body"]) for m in messages])
    assert [order.tracking_no for order in carrier.submitted] == ["ZT1000000003"]
    assert gw.store.intercepts.get(intercept_id).status.value == "submitted"


@pytest.mark.parametrize("rule, change, failing", [
    ({**RULE, "enabled": False}, {}, ["enabled"]),
    (RULE, {"refund_amount": 999}, ["amount"]),
    (RULE, {"refund_amount": 40_001}, ["amount"]),
    (RULE, {"parcels": [{"carrier": "yto", "tracking_no": "YT1000000003"}]}, ["carriers"]),
    (RULE, {"goods_type": "fresh"}, ["goods_type"]),
    (RULE, {"after_sale_type": "return_and_refund"}, ["after_sale_type"]),
    (RULE, {"after_sale_type": "return_and_refund", "refund_amount": 50, "goods_type": "virtual"},
     ["after_sale_type", "amount", "goods_type"]),
])
def test_an_event_the_rule_does_not_cover_names_each_condition_that_did_not_match(client, gw, rule, change, failing):
    set_rule(client, rule)
    response = deliver(client, event(**change))
    assert response.status_code == 200
    answer = json.loads(response.body)
    assert (answer["matched"], answer["action"], answer["result"]) == (False, "none", None)
    assert unmatched(answer) == failing
    assert intercepts_of(gw) == []
    assert queued_dispatches(gw) == 0


def test_the_amount_range_edges_are_inclusive(client, gw):
    set_rule(client, RULE)
    for number, amount in enumerate((1000, 40_000)):
        answer = json.loads(deliver(client, event(event_id=f"evt-{number}", after_sale_id=f"as-{number}",
                                                  refund_amount=amount, parcels=[
                                                      {"carrier": "zto", "tracking_no": f"ZT200000000{number}"}])).body)
        assert answer["matched"] is True, answer


def test_without_a_rule_or_settings_only_enabled_is_reported(client, gw):
    answer = json.loads(deliver(client, event()).body)
    assert answer["conditions"] == [{"code": "enabled", "matched": False,
                                     "message": "the merchant has no auto_intercept rule"}]
    unknown = json.loads(deliver(client, event(merchant_id="nobody")).body)
    assert unmatched(unknown) == ["enabled"] and "no settings" in unknown["conditions"][0]["message"]


def test_return_and_refund_is_covered_only_when_the_rule_names_it(client, gw):
    assert unmatched(json.loads(deliver(client, event(after_sale_type="return_and_refund")).body)) == ["enabled"]
    set_rule(client, RULE)
    answer = json.loads(deliver(client, event(event_id="evt-2", after_sale_type="return_and_refund")).body)
    assert unmatched(answer) == ["after_sale_type"]
    set_rule(client, {**RULE, "after_sale_types": ["refund_only", "return_and_refund"]})
    refused = deliver(client, event(event_id="evt-3", after_sale_type="return_and_refund"))
    # covered by the rule; Kuaishou's policy intercepts refund-only after-sales only
    assert refused.status_code == 422
    assert [reason["code"] for reason in json.loads(refused.body)["error"]["reasons"]] == [
        "after_sale_type_not_refund_only"]
    assert intercepts_of(gw) == []


def test_an_empty_carrier_or_goods_list_covers_every_one_and_the_platforms_rules_still_apply(client, gw):
    set_rule(client, {"enabled": True})
    assert json.loads(deliver(client, event()).body)["matched"] is True
    refused = deliver(client, event(event_id="evt-2", after_sale_id="as-2", goods_type="fresh",
                                    parcels=[{"carrier": "zto", "tracking_no": "ZT3000000003"}]))
    assert refused.status_code == 422  # covered by the rule; Kuaishou intercepts no fresh goods
    assert [reason["code"] for reason in json.loads(refused.body)["error"]["reasons"]] == ["goods_type_excluded"]


def test_a_merchant_of_another_platform_is_not_the_callers(client, gw):
    """Settings are per platform: platform B's event for a merchant only A has set up creates nothing."""
    seed_platform(gw.store, PLATFORM_A, KEY_A, demo_merchant("2026-01-01T00:00:00.000Z").model_copy(
        update={"merchant_id": "only-on-a"}))
    set_rule(client, RULE, merchant_id="only-on-a")
    answer = json.loads(deliver(client, event(merchant_id="only-on-a"), key=KEY_B).body)
    assert unmatched(answer) == ["enabled"]
    assert intercepts_of(gw, platform_id=PLATFORM_B.id) == []
    assert intercepts_of(gw) == []


def test_a_covered_event_the_interception_rules_refuse_is_the_creates_422(client, gw):
    set_rule(client, RULE)
    response = deliver(client, event(parcel_stage="signed"))
    assert response.status_code == 422
    error = json.loads(response.body)["error"]
    assert [reason["code"] for reason in error["reasons"]] == ["parcel_signed"]
    assert intercepts_of(gw) == []


def test_an_event_id_redelivered_with_another_body_is_409(client, gw):
    set_rule(client, RULE)
    assert deliver(client, event()).status_code == 200
    response = deliver(client, event(refund_amount=5000))
    assert response.status_code == 409
    assert json.loads(response.body)["error"]["code"] == "event_id_reused"
    assert len(intercepts_of(gw)) == 1


def test_an_event_for_a_parcel_the_platform_already_intercepted_is_409(client, gw):
    set_rule(client, RULE)
    assert post_intercept(client, intercept_body()).status_code == 202
    response = deliver(client, event())
    assert response.status_code == 409
    assert json.loads(response.body)["error"]["code"] == "parcel_already_intercepted"


def test_a_platforms_idempotency_key_cannot_be_an_events(client):
    response = post_intercept(client, intercept_body(), idempotency_key="event:evt-1")
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["fields"][0]["field"] == "Idempotency-Key"


def test_without_a_key_the_event_is_401(client):
    response = client.http.post("/v1/after-sale-events", headers={"Content-Type": "application/json"},
                                body=json.dumps(event()))
    assert response.status_code == 401


@pytest.mark.parametrize("change, field", [
    ({"parcels": []}, "parcels"),
    ({"parcels": [{"carrier": "zto", "tracking_no": "ZT1000000003"}] * 2}, "parcels"),
    ({"parcels": [{"carrier": "dhl", "tracking_no": "ZT1000000003"}]}, "parcels.0.carrier"),
    ({"after_sale_type": "exchange"}, "after_sale_type"),
    ({"after_sale_type": None}, "after_sale_type"),
    ({"refund_amount": 49.99}, "refund_amount"),
    ({"refund_amount": "4999"}, "refund_amount"),
    ({"event_id": ""}, "event_id"),
    ({"event_type": "refund_cancelled"}, "event_type"),
    ({"goods_type": "jewellery"}, "goods_type"),
    ({"colour": "blue"}, "colour"),
])
def test_a_malformed_event_is_400_naming_the_field(client, gw, change, field):
    response = deliver(client, event(**change))
    assert response.status_code == 400
    assert field in [item["field"] for item in json.loads(response.body)["error"]["fields"]]


@pytest.mark.parametrize("rule, field", [
    ({**RULE, "amount_min": 5000, "amount_max": 4999}, "auto_intercept.amount_max"),
    ({**RULE, "amount_min": -1}, "auto_intercept.amount_min"),
    ({**RULE, "carriers": ["zto", "zto"]}, "auto_intercept.carriers"),
    ({**RULE, "goods_types": ["general", "gems"]}, "auto_intercept.goods_types.1"),
    ({**RULE, "after_sale_types": []}, "auto_intercept.after_sale_types"),
    ({**RULE, "enabled": "yes"}, "auto_intercept.enabled"),
])
def test_an_invalid_rule_is_400_naming_the_field(client, gw, rule, field):
    current = json.loads(client.http.get(f"/v1/merchants/{MERCHANT}/settings", headers=auth()).body)
    update = {name: value for name, value in current.items() if name not in {"merchant_id", "updated_at"}}
    response = client.http.put(f"/v1/merchants/{MERCHANT}/settings", headers=auth(),
                               body=json.dumps({**update, "auto_intercept": rule}))
    assert response.status_code == 400
    assert field in [item["field"] for item in json.loads(response.body)["error"]["fields"]]


def test_the_rule_is_stored_with_its_defaults_and_read_back(client, gw):
    stored = set_rule(client, {"enabled": True, "amount_max": 20_000})
    assert stored["auto_intercept"] == {"enabled": True, "amount_min": None, "amount_max": 20_000, "carriers": [],
                                        "goods_types": [], "after_sale_types": ["refund_only"]}
    assert gw.store.merchants.get(PLATFORM_A.id, MERCHANT).auto_intercept.amount_max == 20_000


# -- what an event costs on AWS -------------------------------------------------------------------

@pytest.fixture
def metered(aws, settings, clock, carrier):
    """A gateway whose AWS calls are counted (bench/aws_meter.py, as the call budget test counts them)."""
    from chalice.test import Client

    from app import app

    meter = AwsMeter()
    with meter.installed():
        gateway = runtime.Gateway(settings, clock, adapters={"zto": carrier})
        merchant = demo_merchant("2026-01-01T00:00:00.000Z")
        seed_platform(gateway.store, PLATFORM_A, KEY_A, merchant.model_copy(update={
            "auto_intercept": {**RULE, "carriers": ["zto"], "goods_types": ["general"]}}))
        carrier.stage = ParcelStage.in_transit
        runtime.use(gateway)
        with Client(app) as test_client:
            assert deliver(test_client, event(event_id="warm-up", merchant_id="nobody")).status_code == 200
            meter.reset()  # the API key is read once per container; what follows is per event
            yield meter, test_client
        runtime.use(None)


def _gateway_calls(meter: AwsMeter) -> dict[str, int]:
    return {f"{service}:{operation}": count for (service, operation), count in meter.calls_in().items()}


@pytest.mark.parametrize("change", [
    {"merchant_id": "nobody"},
    {"refund_amount": 999},
    {"after_sale_type": "return_and_refund"},
    {"parcels": [{"carrier": "yto", "tracking_no": "YT1000000003"}]},
])
def test_an_event_that_matches_nothing_costs_one_settings_read_and_no_write(metered, change):
    meter, client = metered
    answer = json.loads(deliver(client, event(**change)).body)
    assert answer["matched"] is False
    assert _gateway_calls(meter) == {"dynamodb:GetItem(PLATFORM)": 1}
    assert sum(meter.write_units.values()) == 0
    assert sum(meter.read_units.values()) == 1  # strongly consistent, under 4 KB


def test_an_event_that_matches_costs_what_a_create_costs(metered):
    """The settings read for the rule is the create's: no second read."""
    meter, client = metered
    assert json.loads(deliver(client, event()).body)["matched"] is True
    calls = _gateway_calls(meter)
    calls.pop("sqs:GetQueueUrl", None)  # once per container
    assert calls == {"dynamodb:GetItem(PLATFORM)": 1, "dynamodb:TransactWriteItems": 1, "sqs:SendMessage": 1}


def test_a_redelivery_of_a_covered_event_is_the_creates_replay_and_sends_no_second_dispatch(metered):
    """The create's own replay path: its transaction is refused by the idempotency record's condition
    (DynamoDB bills the attempt) and the stored answer is read; nothing is written or queued."""
    meter, client = metered
    first = json.loads(deliver(client, event()).body)
    meter.reset()
    again = deliver(client, event())
    assert json.loads(again.body) == first and again.headers["Idempotent-Replayed"] == "true"
    assert _gateway_calls(meter) == {"dynamodb:GetItem(PLATFORM)": 1, "dynamodb:TransactWriteItems": 1,
                                     "dynamodb:GetItem(IDEMPOTENCY)": 1}
