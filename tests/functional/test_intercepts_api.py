"""The intercept API end to end through Chalice's test client, with AWS faked by moto."""
import json

import boto3
import pytest

from tests.conftest import KEY_A, KEY_B, auth, intercept_body, post_intercept


def body_of(response) -> dict:
    return json.loads(response.body)


def dispatch_messages(gw) -> list[dict]:
    sqs = boto3.client("sqs")
    url = gw.queues.url(gw.settings.dispatch_queue)
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(message["Body"]) for message in found]


def test_create_answers_202_with_the_record_and_queues_the_dispatch(client, gw):
    response = post_intercept(client, intercept_body())
    assert response.status_code == 202
    record = body_of(response)
    assert record["id"].startswith("icp_")
    assert record["status"] == "pending"
    assert record["refund_status"] == "awaiting_result"
    assert record["refund_amount"] == 4999
    assert record["deadlines"] == {"processing": "2026-11-28T08:00:00.000Z"}
    assert "platform_id" not in record
    assert dispatch_messages(gw) == [{"intercept_id": record["id"], "action": "intercept", "carrier": "zto"}]


def test_same_idempotency_key_and_body_returns_the_original_response(client, gw):
    first = post_intercept(client, intercept_body())
    again = post_intercept(client, json.dumps(intercept_body(), indent=2))
    assert again.status_code == 202
    assert body_of(again) == body_of(first)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(dispatch_messages(gw)) == 1


def test_same_idempotency_key_with_another_body_is_409(client):
    post_intercept(client, intercept_body())
    response = post_intercept(client, intercept_body(refund_amount=5000))
    assert response.status_code == 409
    assert body_of(response)["error"]["code"] == "idempotency_key_reused"


def test_idempotency_keys_are_per_tenant(client):
    first = post_intercept(client, intercept_body(), key=KEY_A)
    other = post_intercept(client, intercept_body(tracking_no="ZT1000000004"), key=KEY_B)  # the same key
    assert first.status_code == other.status_code == 202
    assert "Idempotent-Replayed" not in other.headers and body_of(first)["id"] != body_of(other)["id"]


def test_a_parcel_gets_one_interception(client):
    first = body_of(post_intercept(client, intercept_body()))
    response = post_intercept(client, intercept_body(order_id="order-2"), idempotency_key="idem-2")
    assert response.status_code == 409
    assert body_of(response)["error"] == {"code": "parcel_already_intercepted",
                                          "message": "this parcel already has an interception",
                                          "intercept_id": first["id"]}


@pytest.mark.parametrize("overrides, field", [
    ({"refund_amount": 49.99}, "refund_amount"),
    ({"refund_amount": "4999"}, "refund_amount"),
    ({"refund_amount": 0}, "refund_amount"),
    ({"carrier": "dhl"}, "carrier"),
    ({"tracking_no": "ZT-1"}, "tracking_no"),
    ({"package_count": 0}, "package_count"),
    ({"goods_type": "weapons"}, "goods_type"),
    ({"cross_border": "no"}, "cross_border"),
    ({"merchant_id": ""}, "merchant_id"),
    ({"surprise": 1}, "surprise"),
])
def test_malformed_fields_are_400_naming_the_field(client, overrides, field):
    response = post_intercept(client, intercept_body(**overrides))
    assert response.status_code == 400
    assert field in [item["field"] for item in body_of(response)["error"]["fields"]]


def test_missing_fields_are_all_named(client):
    response = post_intercept(client, {"carrier": "zto"})
    named = {item["field"] for item in body_of(response)["error"]["fields"]}
    assert {"merchant_id", "order_id", "after_sale_id", "tracking_no", "refund_amount"} <= named


@pytest.mark.parametrize("payload", ["{not json", "[]", "null", "\"text\"", ""])
def test_bodies_that_are_not_objects_are_400(client, payload):
    response = post_intercept(client, payload)
    assert response.status_code == 400


def test_missing_idempotency_key_is_400(client):
    response = post_intercept(client, intercept_body(), idempotency_key=None)
    assert response.status_code == 400
    assert body_of(response)["error"]["fields"][0]["field"] == "Idempotency-Key"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"},
                                     {"Authorization": "Bearer "}])
def test_without_a_valid_key_every_route_is_401(client, headers):
    assert client.http.get("/v1/intercepts", headers=headers).status_code == 401
    assert client.http.get("/v1/intercepts/icp_x", headers=headers).status_code == 401
    assert client.http.post("/v1/intercepts", headers={**headers, "Content-Type": "application/json"},
                            body=json.dumps(intercept_body())).status_code == 401


def test_another_tenants_record_is_404_everywhere(client):
    record = body_of(post_intercept(client, intercept_body(), key=KEY_A))
    assert client.http.get(f"/v1/intercepts/{record['id']}", headers=auth(KEY_B)).status_code == 404
    cancel = client.http.post(f"/v1/intercepts/{record['id']}/cancel", headers=auth(KEY_B), body="{}")
    assert cancel.status_code == 404
    assert body_of(client.http.get("/v1/intercepts", headers=auth(KEY_B)))["items"] == []


def test_ineligible_requests_get_422_with_every_reason(client, gw):
    response = post_intercept(client, intercept_body(refund_amount=50_000, package_count=2, goods_type="fresh"))
    assert response.status_code == 422
    codes = [reason["code"] for reason in body_of(response)["error"]["reasons"]]
    assert codes == ["amount_over_cap", "multi_package", "goods_type_excluded"]
    assert dispatch_messages(gw) == []


def test_get_shows_status_deadlines_and_history(client):
    record = body_of(post_intercept(client, intercept_body()))
    response = client.http.get(f"/v1/intercepts/{record['id']}", headers=auth())
    assert response.status_code == 200
    shown = body_of(response)
    assert shown["status"] == "pending"
    assert shown["events"] == [{"at": "2026-11-23T08:00:00.000Z", "source": "api", "from_status": None,
                                "to_status": "pending", "reason": "buyer asked for a refund"}]


def test_cancel_is_irreversible_and_a_second_cancel_is_409(client):
    record = body_of(post_intercept(client, intercept_body()))
    path = f"/v1/intercepts/{record['id']}/cancel"
    first = client.http.post(path, headers=auth(), body=json.dumps({"reason": "buyer changed mind"}))
    assert first.status_code == 200
    assert body_of(first)["status"] == "cancelled"
    assert [event["to_status"] for event in body_of(first)["events"]] == ["pending", "cancelled"]
    second = client.http.post(path, headers=auth(), body="{}")
    assert second.status_code == 409
    assert body_of(second)["error"]["code"] == "not_cancellable"


def test_cancel_with_a_bad_body_is_400(client):
    record = body_of(post_intercept(client, intercept_body()))
    response = client.http.post(f"/v1/intercepts/{record['id']}/cancel", headers=auth(), body='{"reason": 5}')
    assert response.status_code == 400


def test_list_filters_and_pages_with_an_opaque_cursor(client, gw, clock):
    ids = []
    for n in range(5):
        clock.advance(minutes=1)
        carrier_stage = {"tracking_no": f"ZT100000000{n}", "merchant_id": "demo-merchant"}
        ids.append(body_of(post_intercept(client, intercept_body(**carrier_stage), idempotency_key=f"k{n}"))["id"])
    seen, cursor = [], None
    while True:
        path = "/v1/intercepts?limit=2&merchant_id=demo-merchant" + (f"&cursor={cursor}" if cursor else "")
        page = body_of(client.http.get(path, headers=auth()))
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    window = body_of(client.http.get(
        "/v1/intercepts?created_from=2026-11-23T08:02:00Z&created_to=2026-11-23T08:03:00Z", headers=auth()))
    assert [item["id"] for item in window["items"]] == [ids[2], ids[1]]
    assert body_of(client.http.get("/v1/intercepts?status=failed", headers=auth()))["items"] == []
    assert len(body_of(client.http.get("/v1/intercepts?status=pending&carrier=zto", headers=auth()))["items"]) == 5


@pytest.mark.parametrize("query, field", [
    ("status=lost", "status"), ("carrier=ups", "carrier"), ("created_from=yesterday", "created_from"),
    ("created_to=2026-11-23T00:00:00", "created_to"), ("limit=0", "limit"), ("limit=x", "limit"),
    ("cursor=bm9wZQ", "cursor"), ("cursor=%%%", "cursor"), ("colour=red", "colour"),
    ("limit=%C2%B2", "limit"), ("limit=%D9%A3", "limit"), ("refund_status=paid", "refund_status"),
    ("after_sale_id=", "after_sale_id"),
    # a cursor naming our own partition but not an item position (a key missing, or one too many)
    ("cursor=eyJHU0kxUEsiOiJQTEFURk9STSNwbGF0LWEifQ", "cursor"),
])
def test_bad_list_parameters_are_400(client, query, field):
    response = client.http.get(f"/v1/intercepts?{query}", headers=auth())
    assert response.status_code == 400
    assert field in [item["field"] for item in body_of(response)["error"]["fields"]]


def test_a_cursor_from_another_tenant_is_refused(client):
    for n in range(3):
        post_intercept(client, intercept_body(tracking_no=f"ZT10000000{n}0"), key=KEY_B, idempotency_key=f"b{n}")
    cursor = body_of(client.http.get("/v1/intercepts?limit=1", headers=auth(KEY_B)))["next_cursor"]
    assert cursor
    assert client.http.get(f"/v1/intercepts?cursor={cursor}", headers=auth(KEY_A)).status_code == 400


def test_health_reports_table_and_queues(client):
    response = client.http.get("/health")
    assert response.status_code == 200
    assert body_of(response)["checks"]["table"] == "ok"


def test_a_parcel_claimed_by_another_platform_is_409_without_naming_its_intercept(client):
    first = post_intercept(client, intercept_body(), key=KEY_A)
    assert first.status_code == 202
    second = post_intercept(client, intercept_body(), key=KEY_B, idempotency_key="other-tenant")
    assert second.status_code == 409
    error = body_of(second)["error"]
    assert error["code"] == "parcel_claimed_elsewhere" and "intercept_id" not in error
    assert body_of(first)["id"].encode() not in second.body


def test_a_parcel_another_platform_cancelled_before_any_carrier_call_can_be_claimed(client):
    first = body_of(post_intercept(client, intercept_body(), key=KEY_A))
    assert client.http.post(f"/v1/intercepts/{first['id']}/cancel", headers=auth(KEY_A), body="{}").status_code == 200
    second = post_intercept(client, intercept_body(), key=KEY_B, idempotency_key="other-tenant")
    assert second.status_code == 202, second.body
    third = post_intercept(client, intercept_body(), key=KEY_A, idempotency_key="back-again")
    assert body_of(third)["error"]["code"] == "parcel_claimed_elsewhere"


def test_an_idempotency_key_with_the_separator_replays_only_its_own_request(client):
    """`a#b` and `a%23b` are distinct keys: neither replays the other."""
    first = post_intercept(client, intercept_body(), idempotency_key="a#b")
    second = post_intercept(client, intercept_body(tracking_no="ZT1000000004", order_id="o-2"),
                            idempotency_key="a%23b")
    assert first.status_code == second.status_code == 202
    assert body_of(first)["id"] != body_of(second)["id"] and "Idempotent-Replayed" not in second.headers


def test_a_filtered_listing_reads_on_until_its_page_is_full(client, gw, clock):
    """Filters apply as the index is read; a page is filled from further reads, not returned empty
    with a cursor while matching items lie beyond."""
    matching = []
    for n in range(12):
        clock.advance(seconds=1)
        created = body_of(post_intercept(client, intercept_body(tracking_no=f"ZT10000000{n:02d}", order_id=f"o{n}",
                                                                after_sale_id=f"as-{n % 4}"), idempotency_key=f"f{n}"))
        if n % 4 == 0:
            matching.append(created["id"])
    seen, cursor, pages = [], None, 0
    while True:
        path = "/v1/intercepts?limit=2&after_sale_id=as-0" + (f"&cursor={cursor}" if cursor else "")
        page = body_of(client.http.get(path, headers=auth()))
        pages += 1
        assert page["items"] or not page["next_cursor"]
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(matching)) and pages <= 2


def test_refund_status_filter(client, gw):
    first = body_of(post_intercept(client, intercept_body()))
    body_of(post_intercept(client, intercept_body(tracking_no="ZT1000000004", order_id="o2"), idempotency_key="k2"))
    gw.carrier_results.apply(first["id"], "intercepted", source="carrier")
    page = body_of(client.http.get("/v1/intercepts?refund_status=refund_auto", headers=auth()))
    assert [item["id"] for item in page["items"]] == [first["id"]]
