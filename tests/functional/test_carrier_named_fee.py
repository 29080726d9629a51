"""The fee the carrier names (SF's `amount`) is the fee charged, whichever path brings the result;
the quote stays as it was, and the export shows both and their difference. A redirect is quoted
at the policy's redirect price where it has one, by the dry run and the create alike."""
import csv
import io
import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs

import boto3
import pytest

import app as app_module
from chalicelib.carriers import REGISTRY
from chalicelib.carriers.sf import protocol as sf
from chalicelib.domain.models import Carrier, CarrierAccount, InterceptStatus, Platform, PolicyName
from chalicelib.rules import policies
from local.pump import QueuePump
from local.resources import demo_merchant, seed_platform
from tests.conftest import auth, intercept_body, post_intercept, run_export_parts
from tests.functional.test_callbacks_every_carrier import sf_route_push
from tests.simulator.test_every_protocol import CREDENTIALS

FIXTURES = Path(__file__).parents[1] / "fixtures" / "carriers" / "sf"
KEY = "key-douyin"
DOUYIN = Platform(id="plat-douyin", name="douyin", policy=PolicyName.douyin)
WAYBILL = "SF1234567890123"  # the waybill of the published routes answer
BUCKET = "gateway-test-exports"


def published(name: str) -> bytes:
    return json.dumps(json.loads((FIXTURES / name).read_text("utf-8"))["body"], ensure_ascii=False).encode("utf-8")


class SfAnswers:
    """SF as its published answers: the interception's fee variant, and the routes of a returning parcel."""

    def __init__(self) -> None:
        self.services: list[str] = []

    def post(self, url, *, data, headers):
        service = parse_qs(data.decode("utf-8"))["serviceCode"][0]
        self.services.append(service)
        if service == sf.INTERCEPT_SERVICE:
            return 200, published("intercept_accepted_with_fee.json")
        return 200, published("routes_returning.json")


@pytest.fixture
def sf_gateway(gw):
    seed_platform(gw.store, DOUYIN, KEY, demo_merchant("2026-01-01T00:00:00.000Z", {
        Carrier.sf: CarrierAccount(fields={"monthlyCardNo": "7551234567"})}))  # the merchant's SF monthly account
    http = SfAnswers()
    gw.adapters = {"sf": REGISTRY["sf"]("sf", {"base_url": "http://sf.test/std/service", **CREDENTIALS["sf"]}, http)}
    return http


def dispatch(gw) -> None:
    QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0).run_once()


def sf_body(**changes) -> dict:
    return intercept_body(**{"carrier": "sf", "tracking_no": WAYBILL, "parcel_stage": "in_transit", **changes})


def detail_rows(manifest: dict) -> list[dict]:
    """Every part's detail rows."""
    rows = []
    for entry in manifest["files"]:
        if entry["name"].startswith("detail-"):
            body = boto3.client("s3").get_object(Bucket=BUCKET, Key=entry["key"])["Body"].read()
            rows += csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
    return rows


@pytest.mark.parametrize("path", ["route push", "poll"])
def test_sfs_amount_is_the_fee_charged_and_the_export_shows_the_difference(client, gw, clock, sf_gateway, path):
    created = post_intercept(client, sf_body(), key=KEY, idempotency_key="sf-fee")
    assert created.status_code == 202, created.body
    intercept_id = json.loads(created.body)["id"]
    dispatch(gw)
    record = gw.store.intercepts.get(intercept_id)
    assert (record.status, record.carrier_fee, record.fee) == (InterceptStatus.submitted, 600, None)

    if path == "route push":  # signed at the clock's time: within the accepted window
        response = client.http.post("/callbacks/sf", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                    body=sf_route_push(WAYBILL, "99"))
        assert response.status_code == 200, response.body
    else:
        clock.advance(minutes=30)
        assert gw.poll_overdue()["applied"] == 1
        assert sf.ROUTES_SERVICE in sf_gateway.services

    shown = json.loads(client.http.get(f"/v1/intercepts/{intercept_id}", headers=auth(KEY)).body)
    assert shown["status"] == "intercepted"
    assert shown["fee_quote"]["amount"] == 800  # SF's list price, as quoted at create
    assert (shown["fee"]["amount"], shown["fee"]["source"]) == (600, "carrier")

    exported = client.http.post("/v1/exports/fees", headers=auth(KEY), body=json.dumps({"period": "2026-11-23"}))
    assert exported.status_code == 202, exported.body
    run_export_parts(gw)
    manifest = json.loads(client.http.get("/v1/exports/fees/2026-11-23", headers=auth(KEY)).body)["manifest"]
    (row,) = detail_rows(manifest)
    assert (row["intercept_id"], row["fee_fen"], row["fee_quote_fen"], row["fee_difference_fen"], row["fee_source"]) \
        == (intercept_id, "600", "800", "-200", "carrier")
    assert (manifest["totals"]["fee_quote_fen"], manifest["totals"]["fee_difference_fen"]) == (800, -200)


def test_a_fee_named_after_the_fee_was_fixed_changes_nothing(client, gw, clock, sf_gateway):
    from chalicelib.carriers.base import CarrierResult
    from chalicelib.domain.models import EventSource

    intercept_id = json.loads(post_intercept(client, sf_body(), key=KEY, idempotency_key="sf-late").body)["id"]
    dispatch(gw)
    results = gw.carrier_results
    results.apply(intercept_id, CarrierResult.intercepted, source=EventSource.carrier, reason="returning")
    fixed = gw.store.intercepts.get(intercept_id)
    for late in (CarrierResult.intercepted, CarrierResult.returned):
        results.apply(intercept_id, late, source=EventSource.carrier, reason="again", charged=1500)
    after = gw.store.intercepts.get(intercept_id)
    assert after.status == InterceptStatus.returned
    assert (after.fee, after.carrier_fee, after.charged_at) == (fixed.fee, 600, fixed.charged_at)


ADDRESS = {"name": "王小明", "phone": "13812341234", "province": "浙江省", "city": "杭州市",
           "district": "西湖区", "street": "文三路 90 号"}


def test_a_redirect_is_quoted_at_the_redirect_price_by_dry_run_and_create_alike(
        client, gw, sf_gateway, monkeypatch):
    priced = replace(policies.POLICIES[PolicyName.douyin], redirect_fees={Carrier.sf: 1200})
    monkeypatch.setitem(policies.POLICIES, PolicyName.douyin, priced)
    quotes = {}
    for name, body in (("redirect", sf_body(redirect_to=ADDRESS)), ("return", sf_body(tracking_no="SF1234567890124"))):
        dry = json.loads(client.http.post("/v1/eligibility", headers=auth(KEY), body=json.dumps(body)).body)
        created = post_intercept(client, {**body, "order_id": f"o-{name}"}, key=KEY, idempotency_key=f"sf-{name}")
        assert created.status_code == 202, created.body
        assert json.loads(created.body)["fee_quote"] == dry["fee_quote"]
        quotes[name] = dry["fee_quote"]["amount"]
    assert quotes == {"redirect": 1200, "return": 800}
