"""Fees fixed on results, exported per period, reconciled against the API's own records; metrics."""
import hashlib
import json

import boto3
import pytest

from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.models import EventSource
from chalicelib.rules.pricing import fee_on_result
from tests.conftest import KEY_B, auth, count_metrics, intercept_body, post_intercept, run_export_parts

BUCKET = "gateway-test-exports"


def body_of(response) -> dict:
    return json.loads(response.body)


def create(client, n: int, key=None) -> str:
    response = post_intercept(client, intercept_body(tracking_no=f"ZT10000000{n:02d}", order_id=f"o-{n}"),
                              idempotency_key=f"fee-{n}", **({"key": key} if key else {}))
    assert response.status_code == 202, response.body
    return body_of(response)["id"]


def settle(gw, intercept_id: str, *results: CarrierResult, reason_code: str | None = None) -> None:
    for result in results:
        changes = {"result_reason": reason_code} if reason_code else None
        gw.carrier_results.apply(intercept_id, result, source=EventSource.carrier, changes=changes)


def export(client, gw, period: str) -> dict:
    """Start a run of the period's export, run its parts, and return the manifest it published."""
    started = client.http.post("/v1/exports/fees", headers=auth(), body=json.dumps({"period": period}))
    assert started.status_code == 202, started.body
    run_export_parts(gw)
    shown = body_of(client.http.get(f"/v1/exports/fees/{period}", headers=auth()))
    assert shown["in_progress"] is None and shown["manifest"]["run_id"] == body_of(started)["run_id"]
    return shown["manifest"]


def record(client, intercept_id: str, key=None) -> dict:
    return body_of(client.http.get(f"/v1/intercepts/{intercept_id}", headers=auth(key) if key else auth()))


def test_the_fee_is_fixed_when_the_interception_succeeds_and_never_changes(client, gw, clock):
    intercept_id = create(client, 1)
    assert record(client, intercept_id)["fee"] is None
    assert record(client, intercept_id)["fee_quote"]["amount"] == 300
    clock.advance(minutes=5)
    settle(gw, intercept_id, CarrierResult.accepted, CarrierResult.intercepted)
    fixed = record(client, intercept_id)
    assert fixed["fee"] == {"amount": 300, "currency": "CNY", "settlement_mode": "offline_outlet",
                            "charged_on": "success", "outlet": fixed["fee_quote"]["outlet"], "source": "quote"}
    assert fixed["charged_at"] == fixed["result_at"] == "2026-11-23T08:05:00.000Z"
    settle(gw, intercept_id, CarrierResult.returned)
    assert record(client, intercept_id)["fee"] == fixed["fee"]


def test_a_failed_interception_is_not_charged_when_the_policy_charges_on_success(client, gw):
    intercept_id = create(client, 2)
    settle(gw, intercept_id, CarrierResult.accepted, CarrierResult.failed, reason_code="parcel_out_for_delivery")
    shown = record(client, intercept_id)
    assert (shown["status"], shown["fee"], shown["charged_at"]) == ("failed", None, None)
    assert shown["result_at"] is not None


@pytest.mark.parametrize("status, accepted, charged", [
    ("intercepted", True, True), ("failed", True, True), ("failed", False, False)])
def test_per_attempt_policies_charge_failures_the_carrier_took(status, accepted, charged):
    quote = {"amount": 300, "currency": "CNY", "settlement_mode": "online", "charged_on": "attempt", "outlet": None}
    assert (fee_on_result(quote, status, accepted) is not None) is charged


def test_a_quote_without_a_price_charges_nothing():
    quote = {"amount": None, "currency": "CNY", "settlement_mode": "offline_outlet", "charged_on": "success",
             "outlet": None}
    assert fee_on_result(quote, "intercepted", True) is None


def test_export_totals_equal_the_fees_of_the_apis_records_and_verify_from_s3(client, gw, clock):
    ids = [create(client, n) for n in range(6)]
    for n, intercept_id in enumerate(ids):
        clock.advance(minutes=1)
        outcome = CarrierResult.intercepted if n % 3 else CarrierResult.failed
        settle(gw, intercept_id, CarrierResult.accepted, outcome)
    other_tenant = create(client, 50, key=KEY_B)
    settle(gw, other_tenant, CarrierResult.intercepted)

    manifest = export(client, gw, "2026-11-23")
    charged = [record(client, intercept_id)["fee"] for intercept_id in ids]
    assert manifest["totals"]["fee_fen"] == sum(fee["amount"] for fee in charged if fee)
    assert manifest["totals"]["rows"] == sum(1 for fee in charged if fee) == 4

    s3 = boto3.client("s3")
    stored = json.loads(s3.get_object(Bucket=BUCKET, Key="fees/period=2026-11-23/platform=plat-a/manifest.json")
                        ["Body"].read())
    for entry in stored["files"]:
        assert hashlib.sha256(s3.get_object(Bucket=BUCKET, Key=entry["key"])["Body"].read()).hexdigest() \
            == entry["sha256"]

    shown = body_of(client.http.get("/v1/exports/fees/2026-11-23", headers=auth()))
    assert shown["manifest"] == manifest
    assert set(shown["downloads"]) == {entry["name"] for entry in manifest["files"]}
    assert "summary.csv" in shown["downloads"] and len(shown["downloads"]) > 1
    assert client.http.get("/v1/exports/fees/2026-11-23", headers=auth(KEY_B)).status_code == 404


def test_the_previous_day_holds_none_of_todays_charges(client, gw, clock):
    settle(gw, create(client, 7), CarrierResult.intercepted)
    assert export(client, gw, "2026-11-22")["totals"]["rows"] == 0


def test_a_charge_at_midnight_shanghai_belongs_to_the_day_it_starts_only(client, gw, clock):
    intercept_id = create(client, 9)
    clock.advance(hours=8)  # 2026-11-23T16:00:00.000Z: midnight opening 2026-11-24 in Shanghai
    settle(gw, intercept_id, CarrierResult.intercepted)
    assert record(client, intercept_id)["charged_at"] == "2026-11-23T16:00:00.000Z"
    clock.advance(minutes=1)
    rows = {period: export(client, gw, period)["totals"]["rows"] for period in ("2026-11-23", "2026-11-24")}
    assert rows == {"2026-11-23": 0, "2026-11-24": 1}


def test_the_daily_export_covers_every_platform(client, gw, clock):
    settle(gw, create(client, 8), CarrierResult.intercepted)
    clock.advance(days=1)
    assert gw.export_fees_daily() == 2
    run_export_parts(gw)
    s3 = boto3.client("s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix="fees/")["Contents"]]
    assert "fees/period=2026-11-23/platform=plat-a/manifest.json" in keys
    assert "fees/period=2026-11-23/platform=plat-b/manifest.json" in keys


@pytest.mark.parametrize("body", ['{"period": "2026-13"}', '{"period": 202611}', "{}", '{"period": "2026-11", "x": 1}',
                                  '{"period": "2099-01-01"}'])
def test_bad_export_requests_are_400(client, body):
    response = client.http.post("/v1/exports/fees", headers=auth(), body=body)
    assert response.status_code == 400
    assert body_of(response)["error"]["fields"]


def test_an_export_that_does_not_exist_is_404_and_a_bad_period_400(client):
    assert client.http.get("/v1/exports/fees/2026-10", headers=auth()).status_code == 404
    assert client.http.get("/v1/exports/fees/october", headers=auth()).status_code == 400


def test_merchant_metrics_per_carrier_and_in_total(client, gw, clock):
    ids = [create(client, n) for n in range(5)]
    clock.advance(seconds=30)
    settle(gw, ids[0], CarrierResult.accepted, CarrierResult.intercepted, CarrierResult.returned)
    settle(gw, ids[1], CarrierResult.accepted, CarrierResult.intercepted)
    settle(gw, ids[2], CarrierResult.failed, reason_code="parcel_signed")
    client.http.post(f"/v1/intercepts/{ids[3]}/cancel", headers=auth(), body="{}")
    create(client, 60, key=KEY_B)
    count_metrics(gw)
    response = client.http.get("/v1/merchants/demo-merchant/metrics?from=2026-11-23T00:00:00Z"
                               "&to=2026-11-24T00:00:00Z", headers=auth())
    assert response.status_code == 200, response.body
    total = body_of(response)["total"]
    assert total["intercepts"] == 5
    assert total["success_rate"] == round(2 / 3, 4)
    assert total["return_rate"] == 0.5
    assert total["cancellation_rate"] == 0.2
    assert total["failure_reasons"] == {"parcel_signed": 1}
    low, high = total["median_seconds_to_result_bounds"]  # from the counters' histogram: within 19 %
    assert low <= 30 < high and high / low < 1.19 and total["median_seconds_to_result"] == 29.3
    assert body_of(response)["by_carrier"]["zto"] == total


@pytest.mark.parametrize("query", ["", "?from=2026-11-23T00:00:00Z", "?from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z",
                                   "?from=2026-01-01T00:00:00Z&to=2026-11-23T00:00:00Z",
                                   "?from=yesterday&to=2026-11-23T00:00:00Z"])
def test_bad_metrics_ranges_are_400(client, query):
    assert client.http.get(f"/v1/merchants/demo-merchant/metrics{query}", headers=auth()).status_code == 400


def test_metrics_for_a_merchant_the_platform_does_not_have_are_404(client):
    response = client.http.get("/v1/merchants/nobody/metrics?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z",
                               headers=auth())
    assert response.status_code == 404


def test_merchant_metrics_sum_the_fees_charged_per_day(client, gw, clock):
    first_day = [create(client, n) for n in range(2)]
    clock.advance(days=2)
    next_day = create(client, 2)
    for intercept_id in (*first_day, next_day):
        settle(gw, intercept_id, CarrierResult.accepted, CarrierResult.intercepted)
    count_metrics(gw)
    response = client.http.get("/v1/merchants/demo-merchant/metrics?from=2026-11-23T00:00:00Z"
                               "&to=2026-11-26T00:00:00Z&interval=day", headers=auth())
    assert response.status_code == 200, response.body
    answer = body_of(response)
    fees = [record(client, one)["fee"]["amount"] for one in (*first_day, next_day)]
    assert [(entry["total"]["intercepts"], entry["total"]["fees_fen"]) for entry in answer["series"]] == [
        (2, fees[0] + fees[1]), (0, 0), (1, fees[2])]
    assert answer["total"]["fees_fen"] == sum(fees) > 0
    assert answer["by_carrier"]["zto"]["fees_fen"] == sum(fees)
