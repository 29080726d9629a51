"""A carrier whose route takes the merchant's own account (jumdata, kuaidi100): without one in the
merchant's settings (and none at platform level) create and the dry run answer `carrier_account_missing`."""
import json
from dataclasses import replace

import boto3
import pytest

from chalicelib import runtime
from chalicelib.carriers.adapter import Call
from chalicelib.carriers.jumdata import protocol as jumdata
from chalicelib.carriers.jumdata.settings import JumdataSettings
from chalicelib.dispatch.accounts import SECRET_PREFIX
from chalicelib.domain.models import InterceptStatus
from local.resources import demo_merchant, seed_platform
from tests.conftest import KEY_A, MERCHANT, PLATFORM_A, ScriptedCarrier, auth, intercept_body, post_intercept
from tests.functional.test_dispatch_worker import pump  # noqa: F401 (fixture)


@pytest.fixture
def carrier():
    return ScriptedCarrier("zto", route="jumdata")


@pytest.fixture
def gw(aws, settings, clock, carrier):
    """zto reached through jumdata, whose platform-level entry holds no account for it."""
    gateway = runtime.Gateway(replace(settings, carriers={"zto": {"via": "jumdata"}}), clock, adapters={"zto": carrier})
    seed_platform(gateway.store, PLATFORM_A, KEY_A, demo_merchant("2026-01-01T00:00:00.000Z"))
    runtime.use(gateway)
    yield gateway
    runtime.use(None)


def put_account(client, account):
    current = json.loads(client.http.get(f"/v1/merchants/{MERCHANT}/settings", headers=auth(KEY_A)).body)
    body = {name: value for name, value in current.items() if name not in ("merchant_id", "updated_at")}
    response = client.http.put(f"/v1/merchants/{MERCHANT}/settings", headers=auth(KEY_A),
                               body=json.dumps({**body, "carrier_accounts": {"zto": account}}))
    assert response.status_code == 200, response.body


def dry_run(client):
    return client.http.post("/v1/eligibility", headers={**auth(KEY_A), "Content-Type": "application/json"},
                            body=json.dumps(intercept_body()))


def test_no_account_is_422_naming_the_carrier_and_the_missing_fields(client, gw):
    response = post_intercept(client, intercept_body())
    assert response.status_code == 422
    reasons = json.loads(response.body)["error"]["reasons"]
    missing = [reason for reason in reasons if reason["code"] == "carrier_account_missing"]
    assert len(missing) == 1 and "zto" in missing[0]["message"]
    assert "customerCode" in missing[0]["message"] and "customerPsw" in missing[0]["message"]
    answer = json.loads(dry_run(client).body)
    assert answer["eligible"] is False
    assert "carrier_account_missing" in [reason["code"] for reason in answer["reasons"]]


def test_the_secret_fields_count_as_set_once_the_secret_is_named(client, gw):
    put_account(client, {"fields": {"customerCode": "ZT-9"}})
    message = next(reason["message"] for reason in json.loads(dry_run(client).body)["reasons"]
                   if reason["code"] == "carrier_account_missing")
    assert "customerPsw" in message and "customerCode" not in message
    put_account(client, {"fields": {"customerCode": "ZT-9"}, "secret_ref": "intercept-gateway/carrier-accounts/demo-merchant/zto"})
    assert json.loads(dry_run(client).body)["eligible"] is True
    assert post_intercept(client, intercept_body()).status_code in (201, 202)


def test_a_platform_level_account_serves_merchants_without_one():
    from chalicelib.carriers import declarations, merchant_accounts

    routes = {"zto": "jumdata", "yto": "kuaidi100", "sto": "sto"}
    assert merchant_accounts({}, routes) == {"zto": declarations()["jumdata"].merchant_account,
                                             "yto": declarations()["kuaidi100"].merchant_account}
    assert merchant_accounts({"jumdata": {"accounts": {"zto": {"customerCode": "C"}}},
                              "kuaidi100": {"account": {"partnerId": "P"}}}, routes) == {}


def test_where_the_platform_level_account_sits_is_declared_per_route():
    from chalicelib.carriers import declarations, merchant_accounts, platform_served_accounts

    routes = {"sf": "sf", "jt": "jt", "jd": "jd", "zto": "zto", "yunda": "jumdata", "ems": "jumdata"}
    config = {"sf": {"partner_id": "P", "monthly_card_no": "755"}, "jt": {"customer_code": "J", "password": "pw"},
              "jd": {"app_key": "K", "customer_code": ""}, "jumdata": {"accounts": {"yunda": {"customerCode": "Y"}}}}
    assert sorted(merchant_accounts(config, routes)) == ["ems", "jd"]
    assert sorted(platform_served_accounts(config, routes)) == ["jt", "sf", "yunda"]
    assert declarations()["jt"].merchant_account.platform_account(config["jt"], "jt") == {
        "customerCode": "J", "password": "pw"}
    assert declarations()["jumdata"].merchant_account.platform_account(config["jumdata"], "yunda") == {
        "customerCode": "Y"}
    assert "zto" not in merchant_accounts({}, routes)   # ZTO's native calls take no merchant account


SECRET = "pw-7f3a9c-never-logged"


def test_the_dispatch_carries_the_merchants_account_with_its_secret_and_never_logs_it(client, gw, pump, carrier,
                                                                                    caplog):
    name = f"{SECRET_PREFIX}{MERCHANT}/zto"
    boto3.client("secretsmanager").create_secret(Name=name, SecretString=json.dumps({"customerPsw": SECRET}))
    put_account(client, {"fields": {"customerCode": "ZT-9"}, "secret_ref": name})
    caplog.set_level("DEBUG")
    for key in ("idem-1", "idem-2"):
        assert post_intercept(client, intercept_body(tracking_no=f"ZT10000000{key[-1]}3"), idempotency_key=key
                              ).status_code == 202
    assert pump.run_once() == 2
    assert [dict(order.account) for order in carrier.submitted] == [{"customerCode": "ZT-9", "customerPsw": SECRET}] * 2
    assert SECRET not in caplog.text and SECRET not in repr(carrier.submitted)
    url, body, _ = jumdata.intercept_request(carrier.submitted[0], JumdataSettings("http://j", "app", "s"),
                                             Call(0, "r", company="ZTO", carrier="zto"))
    assert b"customerCode=ZT-9" in body and SECRET.encode() in body


def test_a_secret_that_cannot_be_read_needs_attention_naming_the_code(client, gw, pump, carrier):
    put_account(client, {"fields": {"customerCode": "ZT-9"}, "secret_ref": f"{SECRET_PREFIX}{MERCHANT}/gone"})
    response = post_intercept(client, intercept_body())
    assert response.status_code == 202
    boto3.client("secretsmanager").create_secret(Name=f"{SECRET_PREFIX}{MERCHANT}/gone",
                                                 SecretString=json.dumps({"other": "x"}))
    pump.run_once()
    record = gw.store.intercepts.get_with_history(json.loads(response.body)["id"])
    assert record.status == InterceptStatus.needs_attention and "carrier_account_missing" in record.last_error
    assert carrier.submitted == []


def test_a_secret_ref_outside_the_gateways_prefix_is_400(client, gw):
    current = json.loads(client.http.get(f"/v1/merchants/{MERCHANT}/settings", headers=auth(KEY_A)).body)
    body = {name: value for name, value in current.items() if name not in ("merchant_id", "updated_at")}
    response = client.http.put(f"/v1/merchants/{MERCHANT}/settings", headers=auth(KEY_A), body=json.dumps(
        {**body, "carrier_accounts": {"zto": {"secret_ref": "prod/database-password"}}}))
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["fields"][0]["field"] == "carrier_accounts.zto.secret_ref"
