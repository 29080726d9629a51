"""SF, J&T and JD over their own protocols on the merchant's own account: the dispatch carries the
merchant's monthlyCardNo / customerCode with the digest over its password (from the secret store) /
vendorCode; without one (and none at platform level) create and the dry run answer
`carrier_account_missing`; a platform-level account in CARRIER_CONFIG serves merchants without one."""
import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs

import boto3
import pytest

import app as app_module
from chalicelib import runtime
from chalicelib.carriers import build_adapters
from chalicelib.carriers.jt.protocol import business_digest
from chalicelib.dispatch.accounts import SECRET_PREFIX
from chalicelib.domain.models import Carrier, CarrierAccount, Platform, PolicyName
from local.pump import QueuePump
from local.resources import DEMO_MERCHANT_ID, demo_merchant, seed_platform
from tests.conftest import auth, intercept_body
from tests.conftest import post_intercept as post_as

DOUYIN, KEY = Platform(id="plat-douyin", name="Douyin", policy=PolicyName.douyin), "key-douyin"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "carriers"
#: J&T's UAT sample account (tests/fixtures/carriers/jt/business_digest.json): its digest is published
JT_SAMPLE = json.loads((FIXTURES / "jt" / "business_digest.json").read_text("utf-8"))

#: per carrier: its platform-level entry without an account, the account fields at platform level
#: (settings names), the merchant's own account (fields, secret) and what its dispatch carries
NATIVE = {
    "sf": {"entry": {"partner_id": "P", "check_word": "W"},
           "platform": {"monthly_card_no": "7550000001", "pay_mode": "3"},
           "fields": {"monthlyCardNo": "7551234567"}, "secret": None,
           "carries": {"payMode": "3", "monthlyCardNo": "7551234567"},
           "platform_carries": {"payMode": "3", "monthlyCardNo": "7550000001"},
           "tracking_no": "SF1234567890123"},
    "jt": {"entry": {"api_account": JT_SAMPLE["api_account"], "private_key": JT_SAMPLE["private_key"]},
           "platform": {"customer_code": "J-PLATFORM", "password": "platform-pw"},
           "fields": {"customerCode": JT_SAMPLE["customer_code"]}, "secret": {"password": JT_SAMPLE["password"]},
           "carries": {"customerCode": JT_SAMPLE["customer_code"], "digest": JT_SAMPLE["digest"]},
           "platform_carries": {"customerCode": "J-PLATFORM",
                                "digest": business_digest("J-PLATFORM", "platform-pw", JT_SAMPLE["private_key"])},
           "tracking_no": "JT0001234567893"},
    "jd": {"entry": {"app_key": "AK", "app_secret": "AS", "access_token": "T"},
           "platform": {"customer_code": "JD-PLATFORM"},
           "fields": {"vendorCode": "JD-MERCHANT"}, "secret": None,
           "carries": {"vendorCode": "JD-MERCHANT"}, "platform_carries": {"vendorCode": "JD-PLATFORM"},
           "tracking_no": "JDV000123456783"},
}
ACCEPTED = {
    "sf": json.dumps(json.loads((FIXTURES / "sf" / "intercept_accepted_with_fee.json").read_text("utf-8"))["body"]),
    "jt": json.dumps({"code": "1", "msg": "success", "data": {"interceptNo": "JT-I-1"}}),
    "jd": json.dumps({"jingdong_ldop_receive_order_intercept_responce": {
        "code": "0", "resultInfo": {"stateCode": 102, "stateMessage": "受理中"}}}),
}


def carried(carrier: str, form: dict[str, str]) -> dict[str, str]:
    """The account's part of one interception request, as the carrier reads it."""
    if carrier == "sf":
        payload = json.loads(form["msgData"])
        return {name: payload[name] for name in ("payMode", "monthlyCardNo") if name in payload}
    if carrier == "jt":
        payload = json.loads(form["bizContent"])
        return {name: payload[name] for name in ("customerCode", "digest")}
    return {"vendorCode": json.loads(form["360buy_param_json"])["vendorCode"]}


class RecordingHttp:
    """The carriers' side: every POST kept as its form, answered as accepted (tracking as unreadable,
    so the stage is unknown and the carrier decides)."""

    def __init__(self) -> None:
        self.forms: list[tuple[str, dict[str, str]]] = []

    def post(self, url: str, *, data: bytes, headers) -> tuple[int, bytes]:
        carrier = url.split("/")[2].split(".")[0]
        form = {name: values[0] for name, values in parse_qs(data.decode()).items()}
        self.forms.append((carrier, form))
        return 200, ACCEPTED[carrier].encode()


def gateway(settings, clock, http, carrier: str, platform_level: bool):
    entry = {"base_url": f"http://{carrier}.test/api", **NATIVE[carrier]["entry"],
             **(NATIVE[carrier]["platform"] if platform_level else {})}
    carriers = {carrier: entry}
    built = runtime.Gateway(replace(settings, carriers=carriers), clock, adapters=build_adapters(carriers, http))
    runtime.use(built)
    return built


@pytest.fixture
def http():
    return RecordingHttp()


@pytest.fixture(autouse=True)
def _no_gateway_left():
    yield
    runtime.use(None)


def seed(gw, carrier: str | None = None) -> None:
    """The demo merchant, with its own account for `carrier` (its secret in the secret store)."""
    accounts = {}
    if carrier:
        spec = NATIVE[carrier]
        name = None
        if spec["secret"]:
            name = f"{SECRET_PREFIX}{DEMO_MERCHANT_ID}/{carrier}"
            boto3.client("secretsmanager").create_secret(Name=name, SecretString=json.dumps(spec["secret"]))
        accounts = {Carrier(carrier): CarrierAccount(fields=spec["fields"], secret_ref=name)}
    seed_platform(gw.store, DOUYIN, KEY, demo_merchant("2026-01-01T00:00:00.000Z", accounts))


def body(carrier: str) -> dict:
    return intercept_body(carrier=carrier, tracking_no=NATIVE[carrier]["tracking_no"], parcel_stage="in_transit")


def dispatch_all(gw) -> None:
    pump = QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0)
    while pump.run_once():
        pass


def submitted(http: RecordingHttp, carrier: str) -> list[dict[str, str]]:
    return [carried(carrier, form) for code, form in http.forms
            if code == carrier and ("msgData" not in form or form["serviceCode"] == "EXP_RECE_WANTED_INTERCEPT")]


@pytest.mark.parametrize("carrier", NATIVE)
def test_without_the_merchants_account_create_and_dry_run_answer_carrier_account_missing(client, aws, settings,
                                                                                       clock, http, carrier):
    gw = gateway(settings, clock, http, carrier, platform_level=False)
    seed(gw)
    response = post_as(client, body(carrier), key=KEY)
    assert response.status_code == 422
    reasons = json.loads(response.body)["error"]["reasons"]
    missing = [reason["message"] for reason in reasons if reason["code"] == "carrier_account_missing"]
    required = {"sf": ["monthlyCardNo"], "jt": ["customerCode", "password"], "jd": ["vendorCode"]}[carrier]
    assert len(missing) == 1 and carrier in missing[0] and all(name in missing[0] for name in required)
    dry = json.loads(client.http.post("/v1/eligibility", headers=auth(KEY), body=json.dumps(body(carrier))).body)
    assert dry["eligible"] is False and "carrier_account_missing" in [reason["code"] for reason in dry["reasons"]]
    assert http.forms == []


@pytest.mark.parametrize("carrier", NATIVE)
def test_the_dispatch_carries_the_merchants_own_account(client, aws, settings, clock, http, carrier, caplog):
    gw = gateway(settings, clock, http, carrier, platform_level=False)
    seed(gw, carrier)
    caplog.set_level("DEBUG")
    assert json.loads(client.http.post("/v1/eligibility", headers=auth(KEY), body=json.dumps(body(carrier))).body
                      )["eligible"] is True
    assert post_as(client, body(carrier), key=KEY).status_code == 202
    dispatch_all(gw)
    assert submitted(http, carrier) == [NATIVE[carrier]["carries"]]
    for secret in (NATIVE[carrier]["secret"] or {}).values():
        assert secret not in caplog.text and all(secret not in json.dumps(form) for _, form in http.forms)


@pytest.mark.parametrize("carrier", NATIVE)
def test_a_platform_level_account_serves_merchants_without_one_and_a_merchants_own_comes_first(
        client, aws, settings, clock, http, carrier):
    gw = gateway(settings, clock, http, carrier, platform_level=True)
    seed(gw)
    assert post_as(client, body(carrier), key=KEY, idempotency_key="platform").status_code == 202
    dispatch_all(gw)
    seed(gw, carrier)  # the stored settings lack the account: it is added
    assert gw.store.merchants.get(DOUYIN.id, DEMO_MERCHANT_ID).carrier_accounts
    assert post_as(client, {**body(carrier), "tracking_no": NATIVE[carrier]["tracking_no"][:-1] + "4",
                            "order_id": "order-2", "after_sale_id": "as-2"},
                   key=KEY, idempotency_key="own").status_code == 202
    dispatch_all(gw)
    assert submitted(http, carrier) == [NATIVE[carrier]["platform_carries"], NATIVE[carrier]["carries"]]
