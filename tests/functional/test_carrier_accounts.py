"""A carrier whose route takes the merchant's own account (jumdata, kuaidi100): without one in the
merchant's settings (and none at platform level) create and the dry run answer `carrier_account_missing`."""
import json
from dataclasses import replace

import pytest

from chalicelib import runtime
from local.resources import demo_merchant, seed_platform
from tests.conftest import KEY_A, MERCHANT, PLATFORM_A, ScriptedCarrier, auth, intercept_body, post_intercept


@pytest.fixture
def gw(aws, settings, clock):
    """zto reached through jumdata, whose platform-level entry holds no account for it."""
    gateway = runtime.Gateway(replace(settings, carriers={"zto": {"via": "jumdata"}}), clock,
                              adapters={"zto": ScriptedCarrier("zto", route="jumdata")})
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
    put_account(client, {"fields": {"customerCode": "ZT-9"}, "secret_ref": "intercept-gateway/accounts/m/zto"})
    assert json.loads(dry_run(client).body)["eligible"] is True
    assert post_intercept(client, intercept_body()).status_code in (201, 202)


def test_a_platform_level_account_serves_merchants_without_one():
    from chalicelib.carriers import declarations, merchant_accounts

    routes = {"zto": "jumdata", "yto": "kuaidi100", "sto": "sto"}
    assert merchant_accounts({}, routes) == {"zto": declarations()["jumdata"].merchant_account,
                                             "yto": declarations()["kuaidi100"].merchant_account}
    assert merchant_accounts({"jumdata": {"accounts": {"zto": {"customerCode": "C"}}},
                              "kuaidi100": {"account": {"partnerId": "P"}}}, routes) == {}
