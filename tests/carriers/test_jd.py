import hashlib
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest

from chalicelib.carriers.adapter import CANNOT_WITHDRAW, Call, ProtocolAdapter
from chalicelib.carriers.base import (
    Address,
    CarrierAccountFault,
    CarrierResult,
    CarrierUnavailable,
    InterceptOrder,
    InvalidCallback,
)
from chalicelib.carriers.jd import DECLARATION
from chalicelib.carriers.jd import protocol as jd
from chalicelib.carriers.jd.settings import JdSettings
from chalicelib.domain.stages import ParcelStage
from simulator.jd import jos_sign

SETTINGS = JdSettings(base_url="https://api.jd.com/routerjson", app_key="APPKEY1", app_secret="secret-1",
                      access_token="token-1", customer_code="010K123456")
ORDER = InterceptOrder("int_01", "JDVA00012345678", "买家申请仅退款", "https://gw.example/callbacks/jd")
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def form_of(body: bytes) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(body.decode()).items()}


# --- signing: the JOS SDKs' _sign, secret + name value pairs in name order + secret -----------------

def test_sign_is_upper_md5_of_secret_sorted_pairs_secret():
    params = {"v": "2.0", "method": "jingdong.ldop.receive.order.intercept", "app_key": "A",
              "360buy_param_json": '{"deliveryId":"JD1"}', "timestamp": "2024-05-01 16:00:00", "access_token": "T"}
    text = ('S360buy_param_json{"deliveryId":"JD1"}access_tokenTapp_keyAmethodjingdong.ldop.receive.order.intercept'
            'timestamp2024-05-01 16:00:00v2.0S')
    by_hand = hashlib.md5(text.encode()).hexdigest().upper()
    assert jd.signed_text(params, "S") == text
    # JD publishes the concatenation, not an output: the value is hashlib's over that text
    assert jd.sign(params, "S") == jos_sign(params, "S") == by_hand == "D49FE7EE6EAA5176A002C1B97F514F89"


def test_sign_leaves_sign_out_and_covers_chinese_text():
    params = {"a": "拦截", "sign": "ignored"}
    assert jd.sign(params, "k") == hashlib.md5("ka拦截k".encode()).hexdigest().upper()


# --- requests -----------------------------------------------------------------------------------

def test_the_interception_is_the_published_call_with_the_merchants_account():
    url, body, headers = jd.intercept_request(ORDER, SETTINGS, Call(NOW_MS, "r"))
    form = form_of(body)
    assert url == "https://api.jd.com/routerjson"
    assert headers == {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}
    assert {k: form[k] for k in ("method", "app_key", "access_token", "timestamp", "v")} == {
        "method": "jingdong.ldop.receive.order.intercept", "app_key": "APPKEY1", "access_token": "token-1",
        "timestamp": "2024-05-01 16:00:00", "v": "2.0"}
    assert json.loads(form["360buy_param_json"]) == {
        "vendorCode": "010K123456", "deliveryId": "JDVA00012345678", "interceptReason": "买家申请仅退款",
        "cancelOperatorCodeType": "1", "cancelTime": "2024-05-01 16:00:00", "cancelOperator": "parcel-intercept-gateway"}
    assert form["sign"] == jd.sign({k: v for k, v in form.items() if k != "sign"}, "secret-1")


def test_the_poll_is_the_same_call():
    assert form_of(jd.query_request(ORDER, SETTINGS, Call(NOW_MS, "r"))[1])["method"] == jd.INTERCEPT_METHOD


def test_tracking_is_the_trace_query():
    form = form_of(jd.track_request("JD1", SETTINGS, Call(NOW_MS, "r"))[1])
    assert form["method"] == "jingdong.ldop.receive.trace.get"
    assert json.loads(form["360buy_param_json"]) == {"customerCode": "010K123456", "waybillCode": "JD1"}


def test_redirect_is_refused():
    to = Address("张三", "138", "广东省", "深圳市", "南山区", "1号")
    with pytest.raises(ValueError, match="redirect"):
        jd.intercept_payload(InterceptOrder(**{**ORDER.__dict__, "redirect_to": to}), SETTINGS, NOW_MS)


# --- answers ------------------------------------------------------------------------------------

def state(code, message="m") -> bytes:
    return json.dumps({"jingdong_ldop_receive_order_intercept_responce": {
        "code": "0", "resultInfo": {"stateCode": code, "stateMessage": message}}}, ensure_ascii=False).encode()


@pytest.mark.parametrize("code", [100, 102, 108, 999])
def test_a_submission_jd_takes_is_accepted_whatever_it_says_but_a_refusal(code):
    assert jd.parse_intercept_response(200, state(code)).result is CarrierResult.accepted


@pytest.mark.parametrize("code,result,reason", [
    (100, CarrierResult.intercepted, None), (108, CarrierResult.intercepted, None), ("108", CarrierResult.intercepted, None),
    (102, CarrierResult.accepted, None), (104, CarrierResult.failed, "parcel_out_for_delivery"),
    (103, CarrierResult.failed, "parcel_signed")])
def test_a_poll_maps_the_state_code(code, result, reason):
    outcome = jd.parse_query_response(200, state(code))
    assert (outcome.result, outcome.reason_code) == (result, reason)


def test_a_refusal_at_submission_is_data():
    outcome = jd.parse_intercept_response(200, state(103, "已妥投"))
    assert (outcome.result, outcome.reason_code, outcome.message) == (CarrierResult.failed, "parcel_signed", "103: 已妥投")


def test_gateway_errors_raise_and_account_faults_name_their_code():
    with pytest.raises(CarrierAccountFault) as raised:
        jd.parse_intercept_response(200, json.dumps({"error_response": {"code": "19", "zh_desc": "token"}}).encode())
    assert raised.value.code == "19"
    with pytest.raises(CarrierUnavailable):
        jd.parse_intercept_response(200, json.dumps({"error_response": {"code": "67", "zh_desc": "busy"}}).encode())


@pytest.mark.parametrize("body", [b"<html>", b"{}", b'{"jingdong_ldop_receive_order_intercept_responce": {"code": "0"}}',
                                  b'{"jingdong_ldop_receive_order_intercept_responce": {"code": "1"}}'])
def test_unreadable_answers_raise(body):
    with pytest.raises(CarrierUnavailable):
        jd.parse_intercept_response(200, body)


def test_the_trace_maps_the_newest_title():
    body = json.dumps({"jingdong_ldop_receive_trace_get_responce": {"code": "0", "querytrace_result": {
        "code": 100, "data": [{"opeTitle": "揽收"}, {"opeTitle": "配送"}]}}}, ensure_ascii=False).encode()
    assert jd.parse_track_response(200, body).stage is ParcelStage.out_for_delivery


# --- what JD does not offer ---------------------------------------------------------------------

def test_there_is_no_push_and_no_withdrawal():
    with pytest.raises(InvalidCallback, match="no interception push"):
        jd.parse_callback({}, b"{}", NOW, SETTINGS)
    adapter = ProtocolAdapter(DECLARATION, SETTINGS, http=None)
    assert (adapter.can_withdraw, adapter.can_poll, DECLARATION.results_by) == (False, True, ("poll",))
    assert adapter.cancel_intercept(ORDER).reason_code == CANNOT_WITHDRAW


def test_the_merchants_vendor_code_comes_before_the_settings_and_tracking_keeps_the_platform_level_one():
    own = InterceptOrder(**{**ORDER.__dict__, "account": {"vendorCode": "JD-MERCHANT"}})
    assert jd.intercept_payload(own, SETTINGS, NOW_MS)["vendorCode"] == "JD-MERCHANT"
    assert jd.intercept_payload(ORDER, SETTINGS, NOW_MS)["vendorCode"] == SETTINGS.customer_code
    bare = JdSettings(base_url=SETTINGS.base_url, app_key="K", app_secret="S", access_token="T")
    with pytest.raises(CarrierAccountFault) as refused:
        jd.intercept_payload(ORDER, bare, NOW_MS)
    assert refused.value.code == "carrier_account_missing"
    _, body, _ = jd.track_request("JDVA00012345678", bare, Call(NOW_MS, "r"))
    assert json.loads(parse_qs(body.decode())["360buy_param_json"][0]) == {"waybillCode": "JDVA00012345678"}
