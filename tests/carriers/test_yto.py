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
from chalicelib.carriers.wire import md5_base64
from chalicelib.carriers.yto import protocol as yto
from chalicelib.carriers.yto.settings import YtoSettings
from chalicelib.domain.stages import ParcelStage

SETTINGS = YtoSettings(base_url="https://yto.example/open", app_key="yto-key", secret="yto-secret")
ORDER = InterceptOrder("int_01", "YT7000000001", "买家申请仅退款", "https://gw.example/callbacks/yto")
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def test_sign_is_base64_raw_md5_of_param_method_version_secret():
    by_hand = base64.b64encode(hashlib.md5(b'{"waybillNo":"YT1"}yto.intercept.applyv1yto-secret').digest()).decode()
    assert yto.sign('{"waybillNo":"YT1"}', "yto.intercept.apply", "v1", "yto-secret") == by_hand == "kTl5xnggYe7bYkbD0L8PJw=="


def test_sign_reproduces_a_published_yto_request():
    # A tracking request as signed for YTO's test environment (app secret 123456), reproduced in
    # third-party integrations; YTO's own document shows the digest step alone (next test).
    assert yto.sign('{"NUMBER":"YT2600227881409"}', "track_query_adapter", "v1", "123456") == "uhSL6hg8txxadZi26YPYPg=="


def test_the_digest_step_matches_the_example_in_ytos_signing_document():
    # "假设data内容为：opentest，partnerId（客户密钥）为123456" -> YLstCNa3x8ijQx16e/jqOA==
    assert md5_base64("opentest123456".encode("utf-8")) == "YLstCNa3x8ijQx16e/jqOA=="


def test_intercept_request_is_a_signed_form():
    url, body, headers = yto.http_request(yto.INTERCEPT_METHOD, yto.intercept_payload(ORDER), SETTINGS, NOW_MS)
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert url == "https://yto.example/open"
    assert headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert {k: form[k] for k in ("app_key", "method", "v", "format", "timestamp")} == {
        "app_key": "yto-key", "method": "yto.intercept.apply", "v": "v1", "format": "json", "timestamp": str(NOW_MS)}
    assert form["param"] == ('{"waybillNo":"YT7000000001","orderNo":"int_01","interceptType":"RETURN",'
                             '"reason":"买家申请仅退款","notifyUrl":"https://gw.example/callbacks/yto"}')
    assert form["sign"] == yto.sign(form["param"], "yto.intercept.apply", "v1", "yto-secret")


def test_redirect_is_not_offered():
    from chalicelib.carriers.base import Address
    with pytest.raises(ValueError):
        yto.intercept_payload(InterceptOrder(**{**ORDER.__dict__, "redirect_to": Address("a", "1", "p", "c", "d", "s")}))


def reply(success, code="0", message="ok", data=None) -> bytes:
    return json.dumps({"success": success, "code": code, "message": message, "data": data}, ensure_ascii=False).encode()


def test_accepted_carries_the_intercept_number():
    assert yto.parse_intercept_response(200, reply(True, data={"interceptNo": "Y1"})) == SubmitOutcome(
        CarrierResult.accepted, carrier_ref="Y1", message="ok")


@pytest.mark.parametrize("code,reason", [("2001", "parcel_signed"), ("2002", "parcel_out_for_delivery"),
                                         ("2003", "already_intercepted"), ("2999", "carrier_refused")])
def test_refusals_map_to_our_reason_codes(code, reason):
    outcome = yto.parse_intercept_response(200, reply(False, code, "不可拦截"))
    assert (outcome.result, outcome.reason_code) == (CarrierResult.failed, reason)


@pytest.mark.parametrize("code", ["1001", "1002", "1003", "1004", "1005"])
def test_system_codes_raise(code):
    with pytest.raises(CarrierUnavailable, match=code):
        yto.parse_intercept_response(200, reply(False, code))


@pytest.mark.parametrize("status,body", [(200, b"<html>"), (200, b'{"success":"yes"}'), (502, b"")])
def test_unreadable_or_5xx_raise(status, body):
    with pytest.raises(CarrierUnavailable):
        yto.parse_intercept_response(status, body)


def test_cancel_and_query_and_trace():
    assert yto.parse_cancel_response(200, reply(False, "2006", "无")) == CancelOutcome(False, "intercept_not_found", "2006: 无")
    query = yto.parse_query_response(200, reply(True, data={"interceptStatus": "FAIL", "reasonCode": "2002"}))
    assert (query.result, query.reason_code) == (CarrierResult.failed, "parcel_out_for_delivery")
    traces = {"traces": [{"operateType": "GOT"}, {"operateType": "SENT_SCAN"}]}
    assert yto.parse_track_response(200, reply(True, data=traces)).stage is ParcelStage.out_for_delivery
    not_sent = {"traces": [{"operateType": "GOT"}, {"operateType": "NOT_SEND"}]}
    assert yto.parse_track_response(200, reply(True, data=not_sent)).stage is ParcelStage.problem
    assert yto.TRACK_METHOD == "yto.Marketing.WaybillTrace"


def push(status="SUCCESS", secret="yto-secret", notify_time=NOW_MS, method=yto.PUSH_METHOD, **extra) -> bytes:
    param = json.dumps({"notifyId": "n-1", "orderNo": "int_01", "waybillNo": "YT7000000001", "interceptStatus": status,
                        "notifyTime": notify_time, **extra}, ensure_ascii=False)
    return urlencode({"app_key": "yto-key", "method": method, "v": "v1", "param": param,
                      "sign": yto.sign(param, method, "v1", secret)}).encode()


def test_a_good_push_parses():
    event = yto.parse_callback({}, push(), NOW, SETTINGS)
    assert (event.intercept_id, event.event_id, event.result, event.occurred_at) == (
        "int_01", "n-1", CarrierResult.intercepted, NOW)


def test_a_fail_push_maps_the_reason():
    event = yto.parse_callback({}, push("FAIL", reasonCode="2001"), NOW, SETTINGS)
    assert (event.result, event.reason_code) == (CarrierResult.failed, "parcel_signed")


@pytest.mark.parametrize("body,match", [
    (push(secret="guess"), "sign"),
    (push().replace(b"SUCCESS", b"RETURNED"), "sign"),
    (push(method="yto.other"), "method"),
    (push(notify_time=NOW_MS - int(timedelta(minutes=11).total_seconds() * 1000)), "window"),
    (push("WHATEVER"), "unknown status"),
    (b"%%%", "form"),
])
def test_bad_tampered_replayed_or_unknown_pushes_are_refused(body, match):
    with pytest.raises(InvalidCallback, match=match):
        yto.parse_callback({}, body, NOW, SETTINGS)


def test_ack():
    assert json.loads(yto.callback_ack(True).body) == {"success": True, "code": "0", "message": "success"}
    assert yto.callback_ack(False, "x").status == 400
