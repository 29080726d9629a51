import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode

import pytest

from chalicelib.carriers.adapter import Call, ProtocolAdapter
from chalicelib.carriers.base import (
    Address,
    CancelOutcome,
    CarrierResult,
    CarrierUnavailable,
    InterceptOrder,
    InvalidCallback,
    SubmitOutcome,
)
from chalicelib.carriers.sf import DECLARATION
from chalicelib.carriers.sf import protocol as sf
from chalicelib.carriers.sf.settings import SfSettings
from chalicelib.domain.stages import ParcelStage

SETTINGS = SfSettings(base_url="https://sfapi.example/std/service", partner_id="PARTNER1", check_word="cw-secret")
ORDER = InterceptOrder(intercept_id="int_01", tracking_no="SF1234567890123", reason="买家申请仅退款",
                       callback_url="https://gw.example/callbacks/sf", carrier_ref="CUS-9")
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


# --- signing -----------------------------------------------------------------------------------
# SF's signing document ("数字签名", open.sf-express.com) works one example through: msgData
# {"language":"zh-CN","orderId":"QIAO-20200618-004"}, timestamp 12312334453453, check word
# fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci -> msgDigest IIKJtuLVzoFTu4kHI8M8vA== (a digest of the text
# without URL-encoding differs, so the example catches that mistake). Its JSON has no space, '~'
# or '*', so the two further values below come from the reference implementation SF's Java SDK
# uses (java.net.URLEncoder.encode(s, "UTF-8"), MessageDigest MD5, java.util.Base64; run on
# JDK 17, which also reproduces the published example) for inputs that pin where a
# re-implementation goes wrong: space -> '+', '~' -> '%7E', '*' kept, and UTF-8 before encoding.

SF_PUBLISHED_EXAMPLE = ('{"language":"zh-CN","orderId":"QIAO-20200618-004"}', "12312334453453",
                        "fjcg5PGKaNpPSHFAZ4QsCOkV71R3zVci")


def test_msg_digest_reproduces_the_worked_example_in_sfs_signing_document():
    assert sf.sign(*SF_PUBLISHED_EXAMPLE) == "IIKJtuLVzoFTu4kHI8M8vA=="


def test_java_urlencode_matches_java_net_urlencoder():
    assert sf.java_urlencode('a b~c*d.e-f_g/"中"') == "a+b%7Ec*d.e-f_g%2F%22%E4%B8%AD%22"


def test_msg_digest_matches_the_java_reference_for_ascii_with_space_tilde_and_star():
    msg_data = '{"waybillNo":"SF1234567890123","serviceCode":"2","role":"1","payMode":"1"}'
    assert sf.sign(msg_data, "1700000000000", "check word~*") == "n0aap//IFGoMKS5afTnWLQ=="


def test_msg_digest_matches_the_java_reference_for_chinese_text():
    assert sf.sign('{"waybillNo":"SF1","remark":"退回 寄件人"}', "1700000000000", "abc") == "axkUJPgT+q6ILSchp/DL5g=="


# --- requests -----------------------------------------------------------------------------------

def form_of(body: bytes) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(body.decode()).items()}


def test_return_to_sender_request_is_the_published_form_signed_over_msg_data_and_timestamp():
    url, body, headers = sf.http_request(sf.INTERCEPT_SERVICE, sf.intercept_payload(ORDER, SETTINGS), SETTINGS,
                                         NOW_MS, "req-1")
    form = form_of(body)
    assert url == "https://sfapi.example/std/service"
    assert headers == {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"}
    assert {k: form[k] for k in ("partnerID", "requestID", "serviceCode", "timestamp")} == {
        "partnerID": "PARTNER1", "requestID": "req-1", "serviceCode": "EXP_RECE_WANTED_INTERCEPT",
        "timestamp": str(NOW_MS)}
    # SF's msgData has no client reference: nothing of ours is added
    assert json.loads(form["msgData"]) == {"waybillNo": "SF1234567890123", "serviceCode": "2", "role": "1",
                                           "payMode": "1"}
    assert form["msgDigest"] == sf.sign(form["msgData"], str(NOW_MS), "cw-secret")


def test_a_configured_return_address_is_sent_as_new_dest_address():
    settings = SfSettings(**{**SETTINGS.__dict__, "return_address": {"province": "浙江省", "city": "杭州市"}})
    assert sf.intercept_payload(ORDER, settings)["newDestAddress"] == {"province": "浙江省", "city": "杭州市"}


def test_redirect_is_service_code_1_with_the_new_address():
    to = Address(name="张三", phone="13800000000", province="广东省", city="深圳市", district="南山区", street="科技园1号")
    payload = sf.intercept_payload(InterceptOrder(**{**ORDER.__dict__, "redirect_to": to}), SETTINGS)
    assert payload["serviceCode"] == "1"
    assert payload["newDestAddress"] == {"province": "广东省", "city": "深圳市", "county": "南山区",
                                         "address": "科技园1号", "contact": "张三", "phone": "13800000000"}


def test_cancel_names_the_waybill_and_the_cus_id_sf_returned():
    assert sf.cancel_payload(ORDER) == {"waybillNo": "SF1234567890123", "cancel": True, "cusId": "CUS-9"}


class RecordingHttp:
    def __init__(self, reply):
        self.reply, self.calls = reply, []

    def post(self, url, *, data, headers):
        self.calls.append((url, data, headers))
        return self.reply


def test_adapter_posts_one_signed_form_per_call():
    http = RecordingHttp((200, accepted_reply()))
    adapter = ProtocolAdapter(DECLARATION, SETTINGS, http, clock_ms=lambda: NOW_MS, request_id=lambda: "req-7")
    assert adapter.submit_intercept(ORDER).carrier_ref == "CUS-1"
    [(url, data, _)] = http.calls
    assert form_of(data)["requestID"] == "req-7" and url == SETTINGS.base_url


# --- responses ----------------------------------------------------------------------------------

def envelope(result: dict | None, code: str = "A1000") -> bytes:
    return json.dumps({"apiResultCode": code, "apiErrorMsg": "" if code == "A1000" else "err",
                       "apiResponseID": "r", "apiResultData": json.dumps(result, ensure_ascii=False) if result else None},
                      ensure_ascii=False).encode()


def accepted_reply() -> bytes:
    return envelope({"success": True, "errorCode": "S0000", "errorMsg": None, "msgData": {"cusId": "CUS-1"}})


def test_success_is_accepted_with_the_cus_id():
    assert sf.parse_intercept_response(200, accepted_reply()) == SubmitOutcome(CarrierResult.accepted, carrier_ref="CUS-1")


def test_success_with_empty_msg_data_is_accepted_without_reference():
    body = envelope({"success": True, "errorCode": "S0000", "errorMsg": None, "msgData": None})
    assert sf.parse_intercept_response(200, body) == SubmitOutcome(CarrierResult.accepted)


@pytest.mark.parametrize("code,reason", [("8016", "parcel_signed"), ("8017", "parcel_out_for_delivery"),
                                         ("8018", "already_intercepted"), ("9999", "carrier_refused")])
def test_business_refusals_map_to_our_reason_codes(code, reason):
    outcome = sf.parse_intercept_response(200, envelope({"success": False, "errorCode": code, "errorMsg": "不可拦截"}))
    assert (outcome.result, outcome.reason_code, outcome.message) == (CarrierResult.failed, reason, f"{code}: 不可拦截")


@pytest.mark.parametrize("code", ["A1001", "A1002", "A1006", "A1009", "A1099", "A7777"])
def test_platform_codes_raise_instead_of_recording_a_refusal(code):
    with pytest.raises(CarrierUnavailable, match=code):
        sf.parse_intercept_response(200, envelope(None, code))


@pytest.mark.parametrize("body", [b"<html>", b"{}", envelope(None), b'{"apiResultCode":"A1000","apiResultData":"[]"}'])
def test_unreadable_replies_raise(body):
    with pytest.raises(CarrierUnavailable):
        sf.parse_intercept_response(200, body)


def test_cancel_refusal_is_data():
    body = envelope({"success": False, "errorCode": "8021", "errorMsg": "无可撤销"})
    assert sf.parse_cancel_response(200, body) == CancelOutcome(False, "intercept_not_found", "8021: 无可撤销")


def test_the_fee_sf_returns_is_the_fee_charged_in_fen():
    body = envelope({"success": True, "errorCode": "S0000", "msgData": {"cusId": "CUS-1", "amount": 6.5}})
    assert sf.parse_intercept_response(200, body) == SubmitOutcome(CarrierResult.accepted, carrier_ref="CUS-1", fee=650)


@pytest.mark.parametrize("amount,fen", [("12.00", 1200), (0, 0), (None, None), ("n/a", None), (-1, None), (True, None)])
def test_amount_reads_yuan_as_fen_or_nothing(amount, fen):
    assert sf.fee_fen(amount) == fen


def routes_reply(*op_codes: str) -> bytes:
    routes = [{"opCode": code, "remark": f"route {code}"} for code in op_codes]
    return envelope({"success": True, "errorCode": "S0000", "msgData": {"routeResps": [{"mailNo": "SF1", "routes": routes}]}})


def test_the_status_query_is_the_route_query():
    url, body, _ = sf.query_request(ORDER, SETTINGS, Call(NOW_MS, "req-q"))
    form = form_of(body)
    assert form["serviceCode"] == "EXP_RECE_SEARCH_ROUTES"
    assert json.loads(form["msgData"])["trackingNumber"] == ["SF1234567890123"]


@pytest.mark.parametrize("op_codes,result,reason", [
    (("50", "30"), CarrierResult.accepted, None), (("50", "30", "99"), CarrierResult.intercepted, None),
    (("50", "648", "31"), CarrierResult.intercepted, None), (("50", "44", "80"), CarrierResult.failed, "parcel_signed")])
def test_the_routes_say_where_the_interception_stands(op_codes, result, reason):
    outcome = sf.parse_query_response(200, routes_reply(*op_codes))
    assert (outcome.result, outcome.reason_code) == (result, reason)


@pytest.mark.parametrize("op_code,stage", [("50", ParcelStage.picked_up), ("30", ParcelStage.in_transit),
                                           ("44", ParcelStage.out_for_delivery), ("80", ParcelStage.signed),
                                           ("648", ParcelStage.returning), ("12345", ParcelStage.unknown)])
def test_routes_map_the_newest_op_code(op_code, stage):
    routes = [{"opCode": "50"}, {"opCode": op_code}]
    body = envelope({"success": True, "errorCode": "S0000", "msgData": {"routeResps": [{"mailNo": "SF1", "routes": routes}]}})
    assert sf.parse_track_response(200, body).stage is stage


# --- callbacks: route pushes -------------------------------------------------------------------

def route(op_code="99", route_id="R-1", **extra) -> dict:
    return {"id": route_id, "mailno": "SF1234567890123", "orderid": "merchant-order-1", "opCode": op_code,
            "acceptTime": "2024-05-01 15:59:00", "acceptAddress": "深圳", "remark": f"route {op_code}", **extra}


def push_body(*routes: dict, timestamp_ms=NOW_MS, check_word="cw-secret", request_id="push-1") -> bytes:
    msg_data = json.dumps({"Body": {"WaybillRoute": list(routes or [route()])}}, ensure_ascii=False)
    return urlencode({"partnerID": "PARTNER1", "requestID": request_id, "serviceCode": sf.PUSH_SERVICE,
                      "timestamp": str(timestamp_ms), "msgData": msg_data,
                      "msgDigest": sf.sign(msg_data, str(timestamp_ms), check_word)}).encode()


def test_a_returning_route_is_the_interceptions_success_found_by_waybill():
    event = sf.parse_callback({}, push_body(), NOW, SETTINGS)
    assert (event.intercept_id, event.tracking_no, event.result, event.event_id) == (
        "", "SF1234567890123", CarrierResult.intercepted, "R-1")
    assert event.occurred_at == datetime(2024, 5, 1, 7, 59, tzinfo=UTC)  # acceptTime is Beijing time


def test_a_signed_route_is_too_late():
    event = sf.parse_callback({}, push_body(route("44", "R-1"), route("80", "R-2")), NOW, SETTINGS)
    assert (event.result, event.reason_code, event.event_id) == (CarrierResult.failed, "parcel_signed", "R-2")


def test_a_route_that_decides_nothing_has_no_result():
    event = sf.parse_callback({}, push_body(route("30")), NOW, SETTINGS)
    assert (event.result, event.event_id) == (None, "R-1")


def test_a_push_signed_with_another_check_word_is_refused():
    with pytest.raises(InvalidCallback, match="msgDigest"):
        sf.parse_callback({}, push_body(check_word="guess"), NOW, SETTINGS)


def test_a_tampered_push_is_refused():
    body = push_body().replace(b"99", b"80")
    with pytest.raises(InvalidCallback, match="msgDigest"):
        sf.parse_callback({}, body, NOW, SETTINGS)


def test_a_replayed_push_outside_the_window_is_refused():
    old = NOW_MS - int(timedelta(minutes=11).total_seconds() * 1000)
    with pytest.raises(InvalidCallback, match="window"):
        sf.parse_callback({}, push_body(timestamp_ms=old), NOW, SETTINGS)


@pytest.mark.parametrize("routes", [[], [{"opCode": "99"}], ["x"]])
def test_a_push_without_usable_routes_is_refused(routes):
    msg_data = json.dumps({"Body": {"WaybillRoute": routes}})
    body = urlencode({"partnerID": "PARTNER1", "requestID": "p", "serviceCode": sf.PUSH_SERVICE,
                      "timestamp": str(NOW_MS), "msgData": msg_data,
                      "msgDigest": sf.sign(msg_data, str(NOW_MS), "cw-secret")}).encode()
    with pytest.raises(InvalidCallback):
        sf.parse_callback({}, body, NOW, SETTINGS)


def test_ack_is_the_route_pushs_published_answer():
    assert json.loads(sf.callback_ack(True).body) == {"return_code": "0000", "return_msg": "成功"}
    refused = sf.callback_ack(False, "bad")
    assert (refused.status, json.loads(refused.body)["return_code"]) == (400, "1000")


def test_a_monthly_account_pays_with_its_card_number():
    monthly = SfSettings(**{**SETTINGS.__dict__, "pay_mode": "3", "monthly_card_no": "7551234567"})
    payload = sf.intercept_payload(InterceptOrder("int_01", "SF1", "refund", "https://gw.example/cb"), monthly)
    assert (payload["payMode"], payload["monthlyCardNo"]) == ("3", "7551234567")


@pytest.mark.parametrize("change,match", [({"pay_mode": "4"}, "monthly_card_no"), ({"pay_mode": "9"}, "pay_mode")])
def test_a_monthly_account_without_its_card_or_an_unknown_pay_mode_is_refused(change, match):
    with pytest.raises(ValueError, match=match):
        SfSettings(**{**SETTINGS.__dict__, **change})


def test_the_merchants_monthly_account_pays_before_the_settings():
    own = InterceptOrder(**{**ORDER.__dict__, "account": {"monthlyCardNo": "7559876543"}})
    payload = sf.intercept_payload(own, SETTINGS)
    assert (payload["payMode"], payload["monthlyCardNo"]) == ("3", "7559876543")
    four = InterceptOrder(**{**ORDER.__dict__, "account": {"monthlyCardNo": "7559876543", "payMode": "4"}})
    assert sf.intercept_payload(four, SETTINGS)["payMode"] == "4"
    assert "monthlyCardNo" not in sf.intercept_payload(ORDER, SETTINGS)
