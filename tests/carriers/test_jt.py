import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest

from chalicelib.carriers.base import (
    CancelOutcome,
    CarrierResult,
    CarrierUnavailable,
    InterceptOrder,
    InvalidCallback,
    SubmitOutcome,
)
from chalicelib.carriers.jt import protocol as jt
from chalicelib.carriers.jt.settings import JtSettings
from chalicelib.domain.stages import ParcelStage

SETTINGS = JtSettings(base_url="https://jt.example/webopenplatformapi/", api_account="ACC1", private_key="jt-key",
                      customer_code="J0086", password="pw-1")
FIXTURES = Path(__file__).parents[1] / "fixtures" / "carriers" / "jt"
ORDER = InterceptOrder("int_01", "JT0000000001", "买家申请仅退款", "https://gw.example/callbacks/jt")
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def test_digest_is_base64_raw_md5_of_biz_content_and_private_key():
    by_hand = base64.b64encode(hashlib.md5(b'{"billCode":"JT1"}jt-key').digest()).decode()
    assert jt.sign('{"billCode":"JT1"}', "jt-key") == by_hand == "Z+QUwJXk5KIbz3t09aL4SQ=="


def test_intercept_request_is_form_biz_content_with_signed_headers():
    url, body, headers = jt.http_request(jt.INTERCEPT_PATH, jt.intercept_payload(ORDER, SETTINGS), SETTINGS, NOW_MS)
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert url == "https://jt.example/webopenplatformapi/api/intercept/apply"
    assert list(form) == ["bizContent"]
    assert json.loads(form["bizContent"]) == {"customerCode": "J0086",
                                              "digest": jt.business_digest("J0086", "pw-1", "jt-key"),
                                              "billCode": "JT0000000001",
                                              "txlogisticId": "int_01", "interceptType": "1",
                                              "reason": "买家申请仅退款", "callbackUrl": "https://gw.example/callbacks/jt"}
    assert headers["apiAccount"] == "ACC1" and headers["timestamp"] == str(NOW_MS)
    assert headers["digest"] == jt.sign(form["bizContent"], "jt-key")


def test_business_digest_reproduces_jt_s_published_worked_example():
    """J&T's UAT sample account and the digest its sample order carries (the fixture names its source)."""
    example = json.loads((FIXTURES / "business_digest.json").read_text())
    assert example["source"]
    assert jt.business_digest(example["customer_code"], example["password"], example["private_key"]) \
        == example["digest"] == "qonqb4O1eNr6VCWS07Ieeg=="


def test_every_order_family_call_carries_the_customer_and_its_digest():
    expected = {"customerCode": "J0086", "digest": jt.business_digest("J0086", "pw-1", "jt-key")}
    for payload in (jt.intercept_payload(ORDER, SETTINGS), jt.order_payload(ORDER, SETTINGS)):
        assert {key: payload[key] for key in expected} == expected


def reply(code, msg="success", data=None) -> bytes:
    return json.dumps({"code": code, "msg": msg, "data": data}, ensure_ascii=False).encode()


def test_accepted_carries_the_intercept_number():
    assert jt.parse_intercept_response(200, reply("1", data={"interceptNo": "J1"})) == SubmitOutcome(
        CarrierResult.accepted, carrier_ref="J1", message="success")


@pytest.mark.parametrize("code,reason", [("999001", "parcel_signed"), ("999002", "parcel_out_for_delivery"),
                                         ("999005", "parcel_not_picked_up"), ("123", "carrier_refused")])
def test_refusals_map_to_our_reason_codes(code, reason):
    outcome = jt.parse_intercept_response(200, reply(code, "不可拦截"))
    assert (outcome.result, outcome.reason_code) == (CarrierResult.failed, reason)


@pytest.mark.parametrize("code", ["145003050", "145003052", "145003053", "145003030"])
def test_system_codes_raise(code):
    with pytest.raises(CarrierUnavailable, match=code):
        jt.parse_intercept_response(200, reply(code, "x"))


@pytest.mark.parametrize("status,body", [(200, b"<html>"), (200, b'{"code":true}'), (500, b"")])
def test_unreadable_or_5xx_raise(status, body):
    with pytest.raises(CarrierUnavailable):
        jt.parse_intercept_response(status, body)


def test_cancel_and_query_and_trace():
    assert jt.parse_cancel_response(200, reply("1")) == CancelOutcome(True, message="success")
    query = jt.parse_query_response(200, reply("1", data={"interceptStatus": "30", "failCode": "999001"}))
    assert (query.result, query.reason_code) == (CarrierResult.failed, "parcel_signed")
    details = {"details": [{"scanType": "快件揽收"}, {"scanType": "入库扫描"}]}
    assert jt.parse_track_response(200, reply("1", data=details)).stage is ParcelStage.in_locker


def push(status="20", key="jt-key", push_time=NOW_MS, account="ACC1", **extra) -> tuple[dict, bytes]:
    biz = json.dumps({"pushId": "p-1", "txlogisticId": "int_01", "billCode": "JT0000000001", "interceptStatus": status,
                      "pushTime": push_time, **extra}, ensure_ascii=False)
    return {"apiAccount": account, "digest": jt.sign(biz, key)}, urlencode({"bizContent": biz}).encode()


def test_a_good_push_parses():
    event = jt.parse_callback(*push(), NOW, SETTINGS)
    assert (event.intercept_id, event.event_id, event.result) == ("int_01", "p-1", CarrierResult.intercepted)


def test_a_fail_push_maps_the_reason():
    event = jt.parse_callback(*push("30", failCode="999002"), NOW, SETTINGS)
    assert (event.result, event.reason_code) == (CarrierResult.failed, "parcel_out_for_delivery")


def tampered():
    headers, body = push()
    return headers, body.replace(b"20", b"40")


@pytest.mark.parametrize("headers_body,match", [
    (push(key="guess"), "digest"),
    (tampered(), "digest"),
    (push(account="OTHER"), "apiAccount"),
    (push(push_time=NOW_MS - int(timedelta(minutes=11).total_seconds() * 1000)), "window"),
    (push("99"), "unknown status"),
])
def test_bad_tampered_replayed_or_unknown_pushes_are_refused(headers_body, match):
    with pytest.raises(InvalidCallback, match=match):
        jt.parse_callback(*headers_body, NOW, SETTINGS)


def test_ack():
    assert json.loads(jt.callback_ack(True).body) == {"code": "1", "msg": "success", "data": None}
    assert jt.callback_ack(False).status == 400


def test_the_merchants_own_account_comes_before_the_settings_and_none_at_all_is_an_account_fault():
    from chalicelib.carriers.base import CarrierAccountFault

    own = InterceptOrder("int_01", "JT1", "refund", "https://gw.example/cb",
                         account={"customerCode": "J0086474299", "password": "H5CD3zE6"})
    payload = jt.intercept_payload(own, SETTINGS)
    assert (payload["customerCode"], payload["digest"]) == (
        "J0086474299", jt.business_digest("J0086474299", "H5CD3zE6", SETTINGS.private_key))
    bare = JtSettings(base_url=SETTINGS.base_url, api_account=SETTINGS.api_account, private_key=SETTINGS.private_key)
    with pytest.raises(CarrierAccountFault) as refused:
        jt.order_payload(InterceptOrder("int_01", "JT1", "refund", "https://gw.example/cb"), bare)
    assert refused.value.code == "carrier_account_missing"
    with pytest.raises(ValueError, match="together"):
        JtSettings(base_url="u", api_account="a", private_key="k", customer_code="C")
