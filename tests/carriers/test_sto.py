import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
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
from chalicelib.carriers.sto import protocol as sto
from chalicelib.carriers.sto.settings import StoSettings
from chalicelib.domain.stages import ParcelStage

SETTINGS = StoSettings(base_url="https://sto.example/gateway", app_key="sto-key", secret="sto-secret",
                           customer_code="CUST1")
ORDER = InterceptOrder("int_01", "773000000001", "买家申请仅退款", "https://gw.example/callbacks/sto")
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def test_data_digest_is_base64_raw_md5_of_content_and_secret():
    by_hand = base64.b64encode(hashlib.md5(b'{"waybillNo":"773"}sto-secret').digest()).decode()
    assert sto.sign('{"waybillNo":"773"}', "sto-secret") == by_hand == "C07VgTYHTAHBXwIaWtjakw=="


def test_data_digest_reproduces_the_published_example_of_the_same_scheme():
    # STO's data_digest is Cainiao LINK's scheme (base64(md5_raw(content + secret)), UTF-8); STO
    # publishes no worked example, Alibaba's LINK document does: hello1234 + key123.
    assert sto.sign("hello1234", "key123") == "ufYU7rvXhHY3IDyZgyt6SA=="


def test_intercept_request_is_the_published_envelope():
    url, body, _ = sto.http_request(sto.INTERCEPT_API, sto.intercept_payload(ORDER), SETTINGS)
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert url == "https://sto.example/gateway"
    assert {k: form[k] for k in ("api_name", "from_appkey", "from_code", "to_appkey", "to_code")} == {
        "api_name": "STO_INTERCEPT_APPLY", "from_appkey": "sto-key", "from_code": "CUST1",
        "to_appkey": sto.STO_APPKEY, "to_code": sto.STO_CODE}
    assert json.loads(form["content"]) == {"waybillNo": "773000000001", "orderId": "int_01", "interceptType": "1",
                                           "reason": "买家申请仅退款", "notifyUrl": "https://gw.example/callbacks/sto"}
    assert form["data_digest"] == sto.sign(form["content"], "sto-secret")


def reply(success, code=None, message=None, data=None) -> bytes:
    return json.dumps({"success": success, "errorCode": code, "errorMsg": message, "data": data}, ensure_ascii=False).encode()


@pytest.mark.parametrize("success", [True, "true"])
def test_accepted_in_either_success_spelling(success):
    assert sto.parse_intercept_response(200, reply(success, data={"interceptId": "S1"})) == SubmitOutcome(
        CarrierResult.accepted, carrier_ref="S1")


@pytest.mark.parametrize("code,reason", [("B01", "parcel_signed"), ("B02", "parcel_out_for_delivery"),
                                         ("B04", "parcel_returning"), ("B99", "carrier_refused")])
def test_refusals_map_to_our_reason_codes(code, reason):
    outcome = sto.parse_intercept_response(200, reply("false", code, "不可拦截"))
    assert (outcome.result, outcome.reason_code) == (CarrierResult.failed, reason)


@pytest.mark.parametrize("code", ["S01", "S02", "S03", "S04", "S05"])
def test_system_codes_raise(code):
    with pytest.raises(CarrierUnavailable, match=code):
        sto.parse_intercept_response(200, reply(False, code, "x"))


@pytest.mark.parametrize("status,body", [(200, b"<html>"), (200, b'{"success":"maybe"}'), (503, b"")])
def test_unreadable_or_5xx_raise(status, body):
    with pytest.raises(CarrierUnavailable):
        sto.parse_intercept_response(status, body)


def test_cancel_and_query_and_trace():
    assert sto.parse_cancel_response(200, reply(True)) == CancelOutcome(True)
    assert sto.parse_query_response(200, reply(True, data={"interceptStatus": "1"})).result is CarrierResult.intercepted
    assert sto.parse_query_response(200, reply(True, data={"interceptStatus": "0"})).result is CarrierResult.accepted
    traces = {"traces": [{"scanType": "收件"}, {"scanType": "派件网点到件"}]}
    assert sto.parse_track_response(200, reply(True, data=traces)).stage is ParcelStage.at_destination_outlet
    with pytest.raises(CarrierUnavailable):
        sto.parse_query_response(200, reply(True, data={"interceptStatus": "7"}))


def push(status="1", secret="sto-secret", notify_time=NOW_MS, to_appkey="sto-key", **extra) -> bytes:
    content = json.dumps({"notifyId": "n-1", "orderId": "int_01", "waybillNo": "773000000001",
                          "interceptStatus": status, "notifyTime": notify_time, **extra}, ensure_ascii=False)
    return urlencode({"api_name": sto.PUSH_API, "content": content, "from_appkey": sto.STO_APPKEY,
                      "from_code": sto.STO_CODE, "to_appkey": to_appkey, "to_code": "CUST1",
                      "data_digest": sto.sign(content, secret)}).encode()


def test_a_good_push_parses():
    event = sto.parse_callback({}, push(), NOW, SETTINGS)
    assert (event.intercept_id, event.event_id, event.result) == ("int_01", "n-1", CarrierResult.intercepted)


def test_a_fail_push_maps_the_reason():
    event = sto.parse_callback({}, push("2", failCode="B02"), NOW, SETTINGS)
    assert (event.result, event.reason_code) == (CarrierResult.failed, "parcel_out_for_delivery")


@pytest.mark.parametrize("body,match", [
    (push(secret="guess"), "data_digest"),
    (push().replace(b"int_01", b"int_02"), "data_digest"),
    (push(to_appkey="someone-else"), "not from STO"),
    (push(notify_time=NOW_MS + int(timedelta(minutes=11).total_seconds() * 1000)), "window"),
    (push("9"), "unknown status"),
])
def test_bad_tampered_replayed_or_unknown_pushes_are_refused(body, match):
    with pytest.raises(InvalidCallback, match=match):
        sto.parse_callback({}, body, NOW, SETTINGS)


def test_ack():
    assert json.loads(sto.callback_ack(True).body)["success"] is True
    assert json.loads(sto.callback_ack(False, "x").body)["needRetry"] is True
