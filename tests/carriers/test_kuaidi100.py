import hashlib
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

import pytest

from chalicelib.carriers import build_adapters
from chalicelib.carriers.adapter import Call, ProtocolAdapter
from chalicelib.carriers.base import (
    Address,
    CarrierAccountFault,
    CarrierResult,
    CarrierUnavailable,
    InterceptOrder,
    InvalidCallback,
    SubmitOutcome,
)
from chalicelib.carriers.http import CarrierHttp
from chalicelib.carriers.kuaidi100 import DECLARATION
from chalicelib.carriers.kuaidi100 import protocol as kuaidi100
from chalicelib.carriers.kuaidi100.settings import Kuaidi100Settings
from chalicelib.domain.returns import ReturnTo
from chalicelib.domain.stages import ParcelStage

SETTINGS = Kuaidi100Settings(base_url="https://api.kuaidi100.example/", key="k100key", secret="k100secret",
                             customer="CUSTOMER1", salt="salt-1")
ORDER = InterceptOrder("int_01", "YT7000000001", "买家申请仅退款", "https://gw.example/callbacks/yto")
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def test_sign_is_upper_md5_hex_of_param_t_key_secret():
    by_hand = hashlib.md5(b'{"kuaidinum":"YT1"}1700000000000k100keyk100secret').hexdigest().upper()
    assert kuaidi100.sign('{"kuaidinum":"YT1"}', "1700000000000", "k100key", "k100secret") == by_hand \
        == "6285474110AB721A6D3D4ED9A8555BE3"


def test_push_sign_is_upper_md5_hex_of_param_and_salt():
    assert kuaidi100.push_sign('{"orderId":"int_01"}', "salt-1") == "D6471AA44E9D0F64A0A7189C85A49D6B"


def test_return_request_is_intercept_order_with_callback_and_salt():
    url, body, _ = kuaidi100.http_request(kuaidi100.INTERCEPT_METHOD,
                                          kuaidi100.intercept_payload(ORDER, "yuantong", SETTINGS), SETTINGS, NOW_MS)
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert url == "https://api.kuaidi100.example/label/order"
    assert (form["method"], form["key"], form["t"]) == ("interceptOrder", "k100key", str(NOW_MS))
    assert json.loads(form["param"]) == {"orderId": "int_01", "kuaidicom": "yuantong", "kuaidinum": "YT7000000001",
                                         "reason": "买家申请仅退款", "interceptType": "RETURN_SEND_ADDR",
                                         "orderRole": "1", "interceptPayType": "SHIPPER", "salt": "salt-1",
                                         "callbackUrl": "https://gw.example/callbacks/yto"}
    assert form["sign"] == kuaidi100.sign(form["param"], str(NOW_MS), "k100key", "k100secret")


def test_the_carrier_account_goes_into_param():
    settings = Kuaidi100Settings(**{**SETTINGS.__dict__, "pay_type": "MONTHLY",
                                    "account": {"partnerId": "P1", "partnerKey": "PK", "net": "上海青浦",
                                                "appKey": "zto-app", "appSecret": "zto-secret"}})
    payload = kuaidi100.intercept_payload(ORDER, "zhongtong", settings)
    assert payload["interceptPayType"] == "MONTHLY"
    assert {key: payload[key] for key in ("partnerId", "partnerKey", "net", "appKey", "appSecret")} == \
        {"partnerId": "P1", "partnerKey": "PK", "net": "上海青浦", "appKey": "zto-app", "appSecret": "zto-secret"}


@pytest.mark.parametrize("return_to, intercept_type", [(ReturnTo.sender, "RETURN_SEND_ADDR"),
                                                        (ReturnTo.outlet, "RETURN_SEND_STATION")])
def test_the_orders_return_to_picks_the_intercept_type(return_to, intercept_type):
    order = InterceptOrder(**{**ORDER.__dict__, "return_to": return_to})
    assert kuaidi100.intercept_payload(order, "zhongtong", SETTINGS)["interceptType"] == intercept_type


def test_unknown_account_fields_are_refused():
    with pytest.raises(ValueError, match="password"):
        Kuaidi100Settings(**{**SETTINGS.__dict__, "account": {"password": "x"}})


def test_the_return_is_no_longer_an_account_setting():
    with pytest.raises(TypeError, match="return_type"):
        Kuaidi100Settings(**{**SETTINGS.__dict__, "return_type": "RETURN_SEND_STATION"})


def test_redirect_is_modify_addr_with_the_recipient():
    to = Address(name="张三", phone="13800000000", province="广东省", city="深圳市", district="南山区", street="科技园1号")
    payload = kuaidi100.intercept_payload(InterceptOrder(**{**ORDER.__dict__, "redirect_to": to}), "yuantong", SETTINGS)
    assert payload["interceptType"] == "MODIFY_ADDR"
    assert payload["recManInfo"] == {"name": "张三", "mobile": "13800000000", "printAddr": "广东省深圳市南山区科技园1号"}


def test_tracking_query_is_signed_with_key_and_customer():
    url, body, _ = kuaidi100.track_request("YT1", SETTINGS, Call(NOW_MS, "req-1", company="yuantong"))
    form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
    assert url == "https://api.kuaidi100.example/poll/query.do"  # no poll_url: the one base URL serves both
    polled = Kuaidi100Settings(**{**SETTINGS.__dict__, "poll_url": "https://poll.kuaidi100.example"})
    assert kuaidi100.track_request("YT1", polled, Call(NOW_MS, "r"))[0] == "https://poll.kuaidi100.example/poll/query.do"
    assert form["sign"] == hashlib.md5((form["param"] + "k100key" + "CUSTOMER1").encode()).hexdigest().upper()


def test_route_is_configured_per_carrier_and_speaks_for_that_carrier():
    config = {"yto": {"via": "kuaidi100"}, "jt": {"via": "kuaidi100"},
              "kuaidi100": {k: v for k, v in SETTINGS.__dict__.items()}}
    adapters = build_adapters(config, CarrierHttp())
    assert sorted(adapters) == ["jt", "yto"]
    assert adapters["yto"].declaration is DECLARATION and adapters["yto"].code == "yto"


def test_a_carrier_it_cannot_reach_is_refused_at_build_time():
    with pytest.raises(ValueError, match="dhl"):
        ProtocolAdapter(DECLARATION, SETTINGS, CarrierHttp(), code="dhl")


def test_it_cannot_withdraw_nor_be_polled_and_makes_no_call_for_either():
    adapter = ProtocolAdapter(DECLARATION, SETTINGS, None, code="zto")  # no HTTP layer: any call would fail
    assert (adapter.can_withdraw, adapter.can_poll) == (False, False)
    assert adapter.cancel_intercept(ORDER).reason_code == "carrier_cannot_withdraw"
    with pytest.raises(CarrierUnavailable, match="no interception status query"):
        adapter.query_intercept(ORDER)


def reply(code=200, message="success", data=None) -> bytes:
    return json.dumps({"code": code, "message": message, "data": data, "time": 1700000000000},
                      ensure_ascii=False).encode()


@pytest.mark.parametrize("code", [200, "200"])
def test_accepted_carries_the_task_id(code):
    assert kuaidi100.parse_intercept_response(200, reply(code, data={"taskId": "T1"})) == SubmitOutcome(
        CarrierResult.accepted, carrier_ref="T1", message="success")


@pytest.mark.parametrize("code,reason", [(30001, "parcel_signed"), ("30002", "parcel_out_for_delivery"),
                                         (39999, "carrier_refused")])
def test_refusals_map(code, reason):
    outcome = kuaidi100.parse_intercept_response(200, reply(code, "不可拦截"))
    assert (outcome.result, outcome.reason_code) == (CarrierResult.failed, reason)


@pytest.mark.parametrize("code", [429, 500, 503])
def test_transient_system_codes_raise_to_be_retried(code):
    with pytest.raises(CarrierUnavailable, match=str(code)) as raised:
        kuaidi100.parse_intercept_response(200, reply(code))
    assert not isinstance(raised.value, CarrierAccountFault)


@pytest.mark.parametrize("code", [400, 401, 403])
def test_account_faults_raise_for_an_operator(code):
    with pytest.raises(CarrierAccountFault, match=str(code)) as raised:
        kuaidi100.parse_intercept_response(200, reply(code))
    assert raised.value.code == str(code)


@pytest.mark.parametrize("body", [b'{"result":true,"returnCode":"200"}', b'{"code":true}', b"<html>", b"[]"])
def test_an_answer_without_its_code_is_unreadable(body):
    with pytest.raises(CarrierUnavailable, match="unreadable"):
        kuaidi100.parse_intercept_response(200, body)


@pytest.mark.parametrize("state,stage", [("0", ParcelStage.in_transit), ("1", ParcelStage.picked_up),
                                         ("1001", ParcelStage.at_destination_city), ("5", ParcelStage.out_for_delivery),
                                         ("501", ParcelStage.in_locker), ("3", ParcelStage.signed),
                                         ("304", ParcelStage.signed), ("6", ParcelStage.returning),
                                         ("14", ParcelStage.refused), ("2", ParcelStage.problem),
                                         ("1099", ParcelStage.in_transit), ("99", ParcelStage.unknown)])
def test_tracking_states_map(state, stage):
    body = json.dumps({"message": "ok", "status": "200", "state": state, "data": []}).encode()
    assert kuaidi100.parse_track_response(200, body).stage is stage


def test_tracking_failure_raises():
    with pytest.raises(CarrierUnavailable):
        kuaidi100.parse_track_response(200, b'{"result":false,"returnCode":"500","message":"no data"}')


def push(status="INTERCEPT_SUCCESS", salt="salt-1", **extra) -> bytes:
    param = json.dumps({"taskId": "T1", "orderId": "int_01", "kuaidinum": "YT7000000001", "interceptStatus": status,
                        **extra},
                       ensure_ascii=False)
    return urlencode({"param": param, "sign": kuaidi100.push_sign(param, salt)}).encode()


def test_a_good_push_parses_with_an_event_id_per_order_and_status():
    event = kuaidi100.parse_callback({}, push(), NOW, SETTINGS)
    assert (event.intercept_id, event.result, event.event_id) == ("int_01", CarrierResult.intercepted,
                                                                  "int_01:INTERCEPT_SUCCESS")
    assert kuaidi100.parse_callback({}, push(), NOW, SETTINGS).event_id == event.event_id  # a replay is a duplicate


def test_a_fail_push_maps_the_reason():
    event = kuaidi100.parse_callback({}, push("INTERCEPT_FAIL", failCode="30002"), NOW, SETTINGS)
    assert (event.result, event.reason_code) == (CarrierResult.failed, "parcel_out_for_delivery")


@pytest.mark.parametrize("body,match", [(push(salt="guess"), "sign"),
                                        (push().replace(b"SUCCESS", b"FAIL"), "sign"),
                                        (push("NOPE"), "unknown status")])
def test_bad_tampered_or_unknown_pushes_are_refused(body, match):
    with pytest.raises(InvalidCallback, match=match):
        kuaidi100.parse_callback({}, body, NOW, SETTINGS)


def test_ack():
    assert json.loads(kuaidi100.callback_ack(True).body) == {"result": True, "returnCode": "200", "message": "成功"}
