import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from chalicelib.carriers.adapter import Call, ProtocolAdapter
from chalicelib.carriers.base import (
    CarrierAccountFault,
    CarrierResult,
    CarrierUnavailable,
    HttpReply,
    InterceptOrder,
    InvalidCallback,
    SubmitOutcome,
)
from chalicelib.carriers.common import UNMAPPED_REFUSAL
from chalicelib.carriers.zto import DECLARATION, units
from chalicelib.carriers.zto import protocol as zto
from chalicelib.carriers.zto.settings import ZtoSettings
from chalicelib.domain.stages import ParcelStage

SETTINGS = ZtoSettings(
    base_url="https://zto.example/api/", app_key="app-key-1", app_secret="zto-secret", company_id="company-9"
)
ORDER = InterceptOrder(
    intercept_id="int_01", tracking_no="73100012345678", reason="买家申请仅退款",
    callback_url="https://gw.example/callbacks/zto",
)
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
NOW_MILLIS = int(NOW.timestamp() * 1000)
CALL = Call(NOW_MILLIS, "req-1")


# --- signing -----------------------------------------------------------------------------------

def test_sign_is_base64_of_raw_md5_over_body_then_secret():
    body = '{"billCode":"73100012345678","orderId":"int_01"}'.encode()
    by_hand = base64.b64encode(hashlib.md5(body + b"zto-secret").digest()).decode()
    assert zto.sign(body, "zto-secret") == by_hand == "NCZAPuxYmUyJOtqtlE0Bpw=="


def test_sign_covers_the_utf8_bytes_of_non_ascii_body_and_secret():
    assert zto.sign('{"billCode":"中通123"}'.encode(), "密钥") == "fgFTcyN/uF/DAmoCCwF9eg=="


# --- request ------------------------------------------------------------------------------------

def test_intercept_request_is_the_expected_compact_utf8_json():
    _, body, _ = zto.intercept_request(ORDER, SETTINGS, CALL)
    assert body == EXPECTED_INTERCEPT_REQUEST.encode("utf-8")


def test_request_headers_carry_account_and_digest_of_the_exact_body():
    _, body, _ = zto.intercept_request(ORDER, SETTINGS, CALL)
    headers = zto.request_headers(body, SETTINGS)
    assert headers["x-appKey"] == "app-key-1"
    assert headers["x-companyid"] == "company-9"
    assert headers["x-datadigest"] == zto.sign(body, "zto-secret")


class RecordingHttp:
    def __init__(self, reply: tuple[int, bytes]):
        self.reply = reply
        self.calls: list[tuple[str, bytes, dict]] = []

    def post(self, url, *, data, headers):
        self.calls.append((url, data, headers))
        return self.reply


def test_adapter_posts_signed_body_to_the_method_url():
    http = RecordingHttp((200, ACCEPTED_RESPONSE))
    outcome = ProtocolAdapter(DECLARATION, SETTINGS, http).submit_intercept(ORDER)

    [(url, data, headers)] = http.calls
    assert url == f"https://zto.example/api/{zto.INTERCEPT_METHOD}"
    assert data == EXPECTED_INTERCEPT_REQUEST.encode("utf-8")
    assert headers == {
        "Content-Type": "application/json; charset=utf-8",
        "x-appKey": "app-key-1",
        "x-companyid": "company-9",
        "x-datadigest": zto.sign(data, "zto-secret"),
    }
    assert outcome.result is CarrierResult.accepted


# --- response -----------------------------------------------------------------------------------

def test_accepted_response_carries_the_carrier_reference():
    assert zto.parse_intercept_response(200, ACCEPTED_RESPONSE) == SubmitOutcome(
        CarrierResult.accepted, carrier_ref="ZI20240501000123", message="受理成功"
    )


def test_accepted_response_without_result_has_no_reference():
    outcome = zto.parse_intercept_response(200, b'{"status":true,"statusCode":"0","message":"ok"}')
    assert outcome == SubmitOutcome(CarrierResult.accepted, message="ok")


def test_signed_parcel_refusal_is_a_failed_outcome_with_our_reason_code():
    outcome = zto.parse_intercept_response(200, SIGNED_REFUSAL_RESPONSE)
    assert outcome.result is CarrierResult.failed
    assert outcome.reason_code == "parcel_signed"
    assert "已签收" in outcome.message


def test_unknown_business_code_is_a_refusal_keeping_the_carrier_code():
    outcome = zto.parse_intercept_response(200, b'{"status":false,"statusCode":"B777","message":"not allowed"}')
    assert (outcome.result, outcome.reason_code) == (CarrierResult.failed, UNMAPPED_REFUSAL)
    assert outcome.message == "B777: not allowed"


@pytest.mark.parametrize("code", ["S211", "S210", "S208", "S207", "S212", "S214", "S999", "E401", "E402"])
def test_account_and_permission_codes_are_account_faults_naming_the_code(code):
    body = json.dumps({"status": False, "statusCode": code, "message": "x"}).encode()
    with pytest.raises(CarrierAccountFault, match=code) as raised:
        zto.parse_intercept_response(200, body)
    assert raised.value.code == code


@pytest.mark.parametrize("code", ["S206", "S221"])
def test_rate_limits_are_transient(code):
    body = json.dumps({"status": False, "statusCode": code, "message": "x"}).encode()
    with pytest.raises(CarrierUnavailable, match=code) as raised:
        zto.parse_intercept_response(200, body)
    assert not isinstance(raised.value, CarrierAccountFault)


@pytest.mark.parametrize("body", [b"<html>502</html>", b"", b"[]", b'{"statusCode":"0"}', b'{"status":"true"}'])
def test_unreadable_body_raises(body):
    with pytest.raises(CarrierUnavailable):
        zto.parse_intercept_response(200, body)


def test_http_error_status_raises():
    with pytest.raises(CarrierUnavailable, match="404"):
        zto.parse_intercept_response(404, b"not found")


# --- callbacks ----------------------------------------------------------------------------------

def callback_data(**overrides) -> str:
    push = {
        "eventId": "evt-1", "orderId": "int_01", "billCode": "73100012345678", "status": "INTERCEPT_SUCCESS",
        "reasonCode": None, "message": "拦截成功", "timestamp": NOW_MILLIS,
    }
    push.update(overrides)
    return json.dumps(push, ensure_ascii=False)


def pushed(data: str, secret: str = "zto-secret", company_id: str = "company-9", msg_type: str = "INTERCEPT_RESULT",
           digest: str | None = None) -> bytes:
    """ZTO's push: a form of data, data_digest, company_id and msg_type."""
    return urlencode({"data": data, "data_digest": digest if digest is not None else zto.push_sign(data, secret),
                      "company_id": company_id, "msg_type": msg_type}).encode()


def callback_body(**overrides) -> bytes:
    return pushed(callback_data(**overrides))


def signed_headers(body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def test_good_callback_parses_into_an_event():
    body = callback_body()
    event = zto.parse_callback(signed_headers(body), body, NOW, SETTINGS)
    assert event.intercept_id == "int_01"
    assert event.tracking_no == "73100012345678"
    assert event.result is CarrierResult.intercepted
    assert event.event_id == "evt-1"
    assert event.occurred_at == NOW
    assert event.reason_code is None
    assert event.message == "拦截成功"


def test_failed_callback_maps_the_reason_code():
    body = callback_body(status="INTERCEPT_FAIL", reasonCode="DISPATCHED")
    event = zto.parse_callback(signed_headers(body), body, NOW, SETTINGS)
    assert (event.result, event.reason_code) == (CarrierResult.failed, "parcel_out_for_delivery")


def test_adapter_parse_callback_uses_its_settings():
    body = callback_body(status="RETURN_SIGNED")
    event = ProtocolAdapter(DECLARATION, SETTINGS, RecordingHttp((200, b""))).parse_callback(signed_headers(body), body, NOW)
    assert event.result is CarrierResult.returned


def test_bad_digest_is_rejected():
    with pytest.raises(InvalidCallback, match="digest"):
        zto.parse_callback({}, pushed(callback_data(), secret="other-secret"), NOW, SETTINGS)


def test_data_changed_after_signing_is_rejected():
    digest = zto.push_sign(callback_data(), "zto-secret")
    with pytest.raises(InvalidCallback, match="digest"):
        zto.parse_callback({}, pushed(callback_data(status="INTERCEPT_FAIL"), digest=digest), NOW, SETTINGS)


def test_missing_digest_is_rejected():
    with pytest.raises(InvalidCallback, match="data_digest"):
        zto.parse_callback({}, pushed(callback_data(), digest=""), NOW, SETTINGS)


def test_another_company_is_rejected():
    with pytest.raises(InvalidCallback, match="company_id"):
        zto.parse_callback({}, pushed(callback_data(), company_id="someone-else"), NOW, SETTINGS)


def test_a_push_of_another_kind_is_rejected():
    with pytest.raises(InvalidCallback, match="msg_type"):
        zto.parse_callback({}, pushed(callback_data(), msg_type="TRACE"), NOW, SETTINGS)


def test_a_json_body_is_no_push_of_zto():
    body = callback_data().encode()
    with pytest.raises(InvalidCallback):
        zto.parse_callback({"x-appKey": "app-key-1", "x-datadigest": zto.sign(body, "zto-secret")}, body, NOW, SETTINGS)


@pytest.mark.parametrize("skew", [timedelta(minutes=10, seconds=1), -timedelta(minutes=10, seconds=1)])
def test_stale_or_future_timestamp_is_rejected(skew):
    body = callback_body(timestamp=int((NOW - skew).timestamp() * 1000))
    with pytest.raises(InvalidCallback, match="window"):
        zto.parse_callback(signed_headers(body), body, NOW, SETTINGS)


def test_timestamp_exactly_at_the_window_edge_is_accepted():
    body = callback_body(timestamp=NOW_MILLIS - 10 * 60 * 1000)
    assert zto.parse_callback(signed_headers(body), body, NOW, SETTINGS).event_id == "evt-1"


@pytest.mark.parametrize("data", ["{not json", "[1,2]"])
def test_malformed_json_is_rejected(data):
    with pytest.raises(InvalidCallback, match="JSON"):
        zto.parse_callback({}, pushed(data), NOW, SETTINGS)


@pytest.mark.parametrize("field", ["eventId", "orderId", "billCode", "status"])
def test_missing_field_is_rejected(field):
    body = callback_body(**{field: None})
    with pytest.raises(InvalidCallback, match=field):
        zto.parse_callback(signed_headers(body), body, NOW, SETTINGS)


@pytest.mark.parametrize("timestamp", [None, "1714550400000", True, 10**20])
def test_bad_timestamp_is_rejected(timestamp):
    body = callback_body(timestamp=timestamp)
    with pytest.raises(InvalidCallback, match="timestamp"):
        zto.parse_callback(signed_headers(body), body, NOW, SETTINGS)


def test_unknown_status_code_is_rejected():
    body = callback_body(status="PARCEL_EATEN")
    with pytest.raises(InvalidCallback, match="PARCEL_EATEN"):
        zto.parse_callback(signed_headers(body), body, NOW, SETTINGS)


# --- ack ----------------------------------------------------------------------------------------

def test_ack_accepted_is_what_zto_expects():
    assert zto.callback_ack(True) == HttpReply(200, '{"status":true,"message":"success","statusCode":"0"}')


def test_ack_rejected_says_why():
    reply = ProtocolAdapter(DECLARATION, SETTINGS, RecordingHttp((200, b""))).callback_ack(False, "签名错误")
    assert reply.status == 400
    assert json.loads(reply.body) == {"status": False, "message": "签名错误"}
    assert zto.ack_body(False, "签名错误") == reply.body


# --- tracking codes -----------------------------------------------------------------------------

@pytest.mark.parametrize("code, stage", [
    ("GOT", ParcelStage.picked_up),
    ("DEPARTURE", ParcelStage.in_transit),
    ("ARRIVAL", ParcelStage.in_transit),
    ("DISPATCH", ParcelStage.out_for_delivery),
    ("INBOUND", ParcelStage.in_locker),
    ("SIGNED", ParcelStage.signed),
    ("DEPARTURE_SIGNED", ParcelStage.signed),
    ("HANDOVERSCAN_SIGNED", ParcelStage.signed),
    ("RETURN", ParcelStage.unknown),            # invented once, never published
    ("OUTLET_ARRIVAL", ParcelStage.unknown),
    ("SOMETHING_NEW", ParcelStage.unknown),
    ("", ParcelStage.unknown),
])
def test_stage_from_code(code, stage):
    assert units.stage_from_code(code) is stage


# --- fixtures -----------------------------------------------------------------------------------

EXPECTED_INTERCEPT_REQUEST = (
    '{"billCode":"73100012345678","orderId":"int_01","interceptType":"RETURN_TO_SENDER",'
    '"reason":"买家申请仅退款","callbackUrl":"https://gw.example/callbacks/zto"}'
)

ACCEPTED_RESPONSE = json.dumps({
    "status": True,
    "statusCode": "0",
    "message": "受理成功",
    "result": {"interceptNo": "ZI20240501000123", "billCode": "73100012345678"},
}, ensure_ascii=False).encode("utf-8")

SIGNED_REFUSAL_RESPONSE = json.dumps({
    "status": False,
    "statusCode": "SIGNED",
    "message": "运单已签收，无法拦截",
    "result": None,
}, ensure_ascii=False).encode("utf-8")
