"""PUT/GET /v1/merchants/{id}/settings: validated, versioned, scoped to the calling platform."""
import json

import pytest

from tests.conftest import KEY_A, KEY_B, auth, intercept_body, post_intercept

SETTINGS = {
    "shop_status": "operating", "agreement_signed_at": "2026-11-01T09:30:00Z", "cross_border": False,
    "interception_enabled": True, "amount_min": 100, "amount_max": 49_999,
    "enabled_carriers": ["zto", "yto"], "ewaybill_carriers": ["zto"],
    "outlets": {"zto": {"outlet_id": "zto-hz-01", "name": "ZTO Hangzhou Xihu", "fee": 250}},
}


def put(client, merchant_id, body, key=KEY_A):
    return client.http.put(f"/v1/merchants/{merchant_id}/settings", headers=auth(key), body=json.dumps(body))


def get(client, merchant_id, key=KEY_A):
    return client.http.get(f"/v1/merchants/{merchant_id}/settings", headers=auth(key))


def body_of(response) -> dict:
    return json.loads(response.body)


def test_put_creates_at_version_1_and_get_returns_it(client):
    created = put(client, "m-new", SETTINGS)
    assert created.status_code == 200
    assert body_of(created) == {**SETTINGS, "merchant_id": "m-new", "version": 1, "auto_intercept": None,
                                "carrier_accounts": {},
                                "agreement_signed_at": "2026-11-01T09:30:00.000Z",
                                "updated_at": "2026-11-23T08:00:00.000Z"}
    assert body_of(get(client, "m-new")) == body_of(created)


def test_an_update_needs_the_current_version(client):
    put(client, "m-new", SETTINGS)
    updated = put(client, "m-new", {**SETTINGS, "version": 1, "shop_status": "suspended"})
    assert (updated.status_code, body_of(updated)["version"]) == (200, 2)
    stale = put(client, "m-new", {**SETTINGS, "version": 1})
    assert stale.status_code == 409
    assert body_of(stale)["error"]["code"] == "version_conflict"
    assert body_of(stale)["error"]["current_version"] == 2
    assert body_of(get(client, "m-new"))["shop_status"] == "suspended"


def test_creating_what_exists_is_a_conflict(client):
    put(client, "m-new", SETTINGS)
    again = put(client, "m-new", SETTINGS)
    assert (again.status_code, body_of(again)["error"]["current_version"]) == (409, 1)


def test_updating_what_does_not_exist_is_a_conflict_at_version_0(client):
    response = put(client, "m-missing", {**SETTINGS, "version": 3})
    assert (response.status_code, body_of(response)["error"]["current_version"]) == (409, 0)


def test_settings_belong_to_the_calling_platform(client):
    put(client, "m-new", SETTINGS, key=KEY_A)
    assert get(client, "m-new", key=KEY_B).status_code == 404
    assert put(client, "m-new", {**SETTINGS, "shop_status": "closed"}, key=KEY_B).status_code == 200
    assert body_of(get(client, "m-new", key=KEY_A))["shop_status"] == "operating"


def test_an_unknown_merchant_is_404(client):
    assert get(client, "nobody").status_code == 404


@pytest.mark.parametrize("change, field", [
    ({"amount_min": 5000, "amount_max": 4999}, "amount_max"),
    ({"amount_min": -1}, "amount_min"),
    ({"amount_max": 49.5}, "amount_max"),
    ({"enabled_carriers": ["zto", "dhl"]}, "enabled_carriers.1"),
    ({"ewaybill_carriers": ["zto", "zto"]}, "ewaybill_carriers"),
    ({"outlets": {"dhl": {"outlet_id": "x", "name": "x", "fee": 1}}}, "outlets.dhl.[key]"),
    ({"outlets": {"zto": {"outlet_id": "x", "name": "x", "fee": -5}}}, "outlets.zto.fee"),
    ({"outlets": {"zto": {"outlet_id": "x", "name": "x", "fee": "250"}}}, "outlets.zto.fee"),
    ({"outlets": {"zto": {"outlet_id": "x", "name": "x"}}}, "outlets.zto.fee"),
    ({"agreement_signed_at": "yesterday"}, "agreement_signed_at"),
    ({"agreement_signed_at": "2026-11-01T09:30:00+08:00"}, "agreement_signed_at"),
    ({"agreement_signed_at": "2026-11-01T09:30:00"}, "agreement_signed_at"),
    ({"shop_status": "open"}, "shop_status"),
    ({"version": -1}, "version"),
    ({"interception_enabled": "yes"}, "interception_enabled"),
    ({"colour": "blue"}, "colour"),
])
def test_invalid_settings_are_400_naming_the_field(client, change, field):
    response = put(client, "m-new", {**SETTINGS, **change})
    assert response.status_code == 400
    assert field in [item["field"] for item in body_of(response)["error"]["fields"]]
    assert get(client, "m-new").status_code == 404


def test_an_invalid_merchant_id_is_400(client):
    assert put(client, "bad%20id", SETTINGS).status_code == 400


def test_the_rules_read_the_settings_written_through_the_api(client):
    current = body_of(get(client, "demo-merchant"))
    body = {name: value for name, value in current.items() if name not in {"merchant_id", "updated_at"}}
    assert put(client, "demo-merchant", {**body, "interception_enabled": False}).status_code == 200
    response = post_intercept(client, intercept_body())
    assert response.status_code == 422
    assert [reason["code"] for reason in body_of(response)["error"]["reasons"]] == ["interception_disabled"]


def test_a_carrier_account_keeps_its_non_secret_fields_and_names_its_secret(client):
    account = {"fields": {"customerCode": "YD-100", "customerSiteCode": "S-1"}, "secret_ref": "intercept-gateway/carrier-accounts/m-new/yunda"}
    created = put(client, "m-new", {**SETTINGS, "carrier_accounts": {"yunda": account}})
    assert created.status_code == 200, body_of(created)
    assert body_of(get(client, "m-new"))["carrier_accounts"] == {"yunda": account}


@pytest.mark.parametrize("fields,problem_field,problem", [
    ({"customerPsw": "hunter2"}, "carrier_accounts.yunda.fields.customerPsw", "is secret"),
    ({"partnerId": "P-1"}, "carrier_accounts.yunda.fields.partnerId", "is not an account field"),
])
def test_a_secret_or_unknown_account_field_inline_is_400(client, fields, problem_field, problem):
    response = put(client, "m-new", {**SETTINGS, "carrier_accounts": {"yunda": {"fields": fields}}})
    assert response.status_code == 400
    detail = body_of(response)
    assert [item["field"] for item in detail["error"]["fields"]] == [problem_field]
    assert problem in detail["error"]["fields"][0]["problem"]
    assert "hunter2" not in response.body.decode()
    assert get(client, "m-new").status_code == 404
