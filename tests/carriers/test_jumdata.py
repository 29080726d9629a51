import hashlib
import json
from urllib.parse import parse_qs

import pytest

from chalicelib.carriers import build_adapters, declarations
from chalicelib.carriers.adapter import CANNOT_WITHDRAW, Call, ProtocolAdapter
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
from chalicelib.carriers.jumdata import DECLARATION
from chalicelib.carriers.jumdata import protocol as jum
from chalicelib.carriers.jumdata.settings import JumdataSettings
from chalicelib.domain.returns import ReturnTo

ACCOUNT = {"customerCode": "YD-C1", "customerPsw": "pw", "customerSiteCode": "S01"}
SETTINGS = JumdataSettings(base_url="https://api.jumdata.example/", app_id="app-1", app_secret="sec-1",
                           accounts={"yunda": ACCOUNT})
ORDER = InterceptOrder("int_01", "YD4300000001", "买家退款", "https://gw.example/callbacks/yunda", carrier_ref="T-1")
CALL = Call(1714550400000, "r", company="YUNDA", carrier="yunda")


def form_of(body: bytes) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(body.decode()).items()}


def test_sign_is_sha256_hex_of_app_id_secret_timestamp():
    assert jum.sign("a", "s", "1") == hashlib.sha256(b"as1").hexdigest()


def test_a_return_carries_the_operation_type_and_the_merchants_carrier_account():
    url, body, _ = jum.intercept_request(ORDER, SETTINGS, CALL)
    form = form_of(body)
    assert url == "https://api.jumdata.example/express/intercept/submit"
    assert (form["appId"], form["timestamp"], form["sign"]) == ("app-1", "1714550400000",
                                                                 jum.sign("app-1", "sec-1", "1714550400000"))
    assert {k: form[k] for k in ("expressCode", "mailNo", "operationType", "customerCode", "customerPsw",
                                 "customerSiteCode")} == {
        "expressCode": "YUNDA", "mailNo": "YD4300000001", "operationType": "2", **ACCOUNT}


def test_back_to_the_origin_outlet_is_operation_type_1_and_a_redirect_4():
    outlet = InterceptOrder(**{**ORDER.__dict__, "return_to": ReturnTo.outlet})
    assert jum.intercept_payload(outlet, SETTINGS, CALL)["operationType"] == "1"
    assert jum.intercept_payload(ORDER, SETTINGS, CALL)["operationType"] == "2"
    to = Address("张三", "13800000000", "广东省", "深圳市", "南山区", "科技园1号")
    payload = jum.intercept_payload(InterceptOrder(**{**ORDER.__dict__, "redirect_to": to}), SETTINGS, CALL)
    assert (payload["operationType"], payload["receiverAddress"]) == ("4", "科技园1号")


def test_no_account_for_the_carrier_is_an_account_fault_before_any_call():
    with pytest.raises(CarrierAccountFault) as raised:
        jum.intercept_request(ORDER, SETTINGS, Call(1, "r", company="EMS", carrier="ems"))
    assert raised.value.code == "carrier_account_missing"


@pytest.mark.parametrize("change,error,match", [
    ({"return_type": "1"}, TypeError, "return_type"),   # where a return goes is the request's `return_to`
    ({"accounts": {"ems": {"password": "x"}}}, ValueError, "unknown fields")])
def test_bad_settings_are_refused(change, error, match):
    with pytest.raises(error, match=match):
        JumdataSettings(**{**SETTINGS.__dict__, **change})


def reply(code=200, data=None, task_no="T-1") -> bytes:
    return json.dumps({"code": code, "msg": "m", "taskNo": task_no, "data": data}, ensure_ascii=False).encode()


def test_an_accepted_interception_keeps_the_task_no():
    assert jum.parse_intercept_response(200, reply()) == SubmitOutcome(CarrierResult.accepted, carrier_ref="T-1",
                                                                       message="m")


def test_refusals_and_system_codes():
    assert jum.parse_intercept_response(200, reply(30001)).reason_code == "parcel_signed"
    with pytest.raises(CarrierAccountFault):
        jum.parse_intercept_response(200, reply(401))
    with pytest.raises(CarrierUnavailable):
        jum.parse_intercept_response(200, reply(429))
    with pytest.raises(CarrierUnavailable):
        jum.parse_intercept_response(200, b"<html>")


@pytest.mark.parametrize("status,result", [("0", CarrierResult.accepted), ("1", CarrierResult.intercepted),
                                           ("2", CarrierResult.failed)])
def test_the_query_maps_intercept_status(status, result):
    assert jum.parse_query_response(200, reply(data={"InterceptStatus": status})).result is result


def test_the_query_names_the_task_no():
    form = form_of(jum.query_request(ORDER, SETTINGS, CALL)[1])
    assert (form["taskNo"], form["mailNo"]) == ("T-1", "YD4300000001")


def test_no_push_no_withdrawal_results_by_poll():
    with pytest.raises(InvalidCallback):
        jum.parse_callback({}, b"", None, SETTINGS)
    adapter = ProtocolAdapter(DECLARATION, SETTINGS, None, code="yunda")
    assert adapter.cancel_intercept(ORDER).reason_code == CANNOT_WITHDRAW
    assert DECLARATION.results_by == ("poll",) and DECLARATION.reaches["debang"]


def test_yunda_ems_and_debang_are_carriers_a_platform_names_reached_only_through_an_aggregator():
    from chalicelib.domain.models import Carrier

    for code in ("yunda", "ems", "debang"):
        assert declarations()[code].via_only and Carrier(code).value == code
    adapters = build_adapters({"yunda": {"via": "jumdata"}, "jumdata": {**SETTINGS.__dict__}}, CarrierHttp())
    assert adapters["yunda"].route == "jumdata"
    with pytest.raises(ValueError, match="via"):
        build_adapters({"ems": {"base_url": "http://ems"}}, CarrierHttp())
