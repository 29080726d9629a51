"""JD Logistics (京东物流), the wire protocol: JOS signing, the interception call and its polling.

Published (JD's open platform JOS, `jingdong.ldop.receive.order.intercept`, apiId 1435; JD's SDKs'
`LdopReceiveOrderInterceptRequest`): a form POST to the JOS gateway (`https://api.jd.com/routerjson`)
with the system parameters `method, app_key, access_token, timestamp` ("yyyy-MM-dd HH:mm:ss",
Beijing time), `v` 2.0, the business parameters as `360buy_param_json` and
`sign = UPPER(md5_hex(app_secret + k1 v1 k2 v2 ... + app_secret))` over every other parameter in
name order (the JOS SDKs' `_sign`). The business parameters are `vendorCode` (the merchant's JD
account: its own where the order carries one, else the settings'), `deliveryId` (the waybill),
`interceptReason` and the operator fields `cancelOperatorCodeType, cancelTime, cancelOperator`.
Before pickup the call cancels the order, after it the call intercepts the parcel. JD answers
asynchronously and asks callers to poll by calling again: `stateCode` 100 success, 108 already
done. So the status query is the same call repeated, and there is neither a withdrawal nor a
result push. Tracking is `jingdong.ldop.receive.trace.get` (`customerCode`, `waybillCode`).

Modelled: the name of the result object inside the answer (the parser takes the member that
carries `stateCode`), the refusal codes, the tracking answer's shape and titles, and which JOS
gateway codes are our account's fault (units.py).
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlencode

from chalicelib.carriers import common
from chalicelib.carriers.base import (
    CallbackEvent,
    CarrierAccountFault,
    CarrierResult,
    CarrierUnavailable,
    HttpReply,
    InterceptOrder,
    InvalidCallback,
    SubmitOutcome,
    Tracking,
)
from chalicelib.carriers.jd.units import ACCOUNT_CODES, REASON_CODES, RESULTS, STAGES
from chalicelib.carriers.wire import compact_json, json_object, text

if TYPE_CHECKING:
    from chalicelib.carriers.adapter import Call, WireRequest
    from chalicelib.carriers.jd.settings import JdSettings

INTERCEPT_METHOD = "jingdong.ldop.receive.order.intercept"   # published
TRACK_METHOD = "jingdong.ldop.receive.trace.get"             # published
VERSION = "2.0"
PARAM_JSON = "360buy_param_json"
#: the reason an interception is refused without a call: no JD account of the merchant's to name
ACCOUNT_MISSING = "carrier_account_missing"
GATEWAY_OK = "0"
#: a trace entry's fields (modelled: opeTime "yyyy/MM/dd HH:mm:ss" Beijing time)
SCAN_FIELDS = common.ScanFields(code="opeTitle", at="opeTime", text="opeRemark")


def response_key(method: str) -> str:
    """JOS wraps an answer in "<method with '_' for '.'>_responce" (JD's spelling)."""
    return method.replace(".", "_") + "_responce"


def signed_text(params: Mapping[str, str], secret: str) -> str:
    return secret + "".join(f"{name}{params[name]}" for name in sorted(params) if name != "sign") + secret


def sign(params: Mapping[str, str], secret: str) -> str:
    """UPPER(md5_hex(secret + every parameter but sign as name + value, in name order + secret))."""
    return hashlib.md5(signed_text(params, secret).encode("utf-8")).hexdigest().upper()


def sign_json(params_json: str, secret: str) -> str:
    """`sign` for parameters given as one JSON object (what `gatewayctl sign jd` takes)."""
    import json

    return sign({name: str(value) for name, value in json.loads(params_json).items()}, secret)


def jos_time(now_ms: int) -> str:
    return datetime.fromtimestamp(now_ms / 1000, tz=common.BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def intercept_payload(order: InterceptOrder, settings: JdSettings, now_ms: int) -> dict[str, Any]:
    if order.redirect_to is not None:
        raise ValueError("JD's interception returns to the sender only; redirect is not offered")
    vendor = (order.account or {}).get("vendorCode") or settings.customer_code
    if not vendor:
        raise CarrierAccountFault("no JD Logistics account (vendorCode) of the merchant's", ACCOUNT_MISSING)
    return {"vendorCode": vendor, "deliveryId": order.tracking_no,
            "interceptReason": order.reason or "merchant requested interception",
            "cancelOperatorCodeType": settings.operator_code_type, "cancelTime": jos_time(now_ms),
            "cancelOperator": settings.operator}


def http_request(method: str, payload: dict[str, Any], settings: JdSettings, now_ms: int) -> WireRequest:
    params = {"method": method, "app_key": settings.app_key, "access_token": settings.access_token,
              "timestamp": jos_time(now_ms), "v": VERSION, PARAM_JSON: compact_json(payload)}
    params["sign"] = sign(params, settings.app_secret)
    return (settings.base_url, urlencode(params).encode("utf-8"),
            {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})


def intercept_request(order: InterceptOrder, settings: JdSettings, call: Call) -> WireRequest:
    return http_request(INTERCEPT_METHOD, intercept_payload(order, settings, call.now_ms), settings, call.now_ms)


def query_request(order: InterceptOrder, settings: JdSettings, call: Call) -> WireRequest:
    """JD's poll is the interception call again (108 once it is done)."""
    return intercept_request(order, settings, call)


def track_request(tracking_no: str, settings: JdSettings, call: Call) -> WireRequest:
    """The query names no merchant: it carries the platform-level account, where there is one."""
    customer = {"customerCode": settings.customer_code} if settings.customer_code else {}
    return http_request(TRACK_METHOD, {**customer, "waybillCode": tracking_no}, settings, call.now_ms)


def read_answer(status: int, body: bytes, method: str) -> dict[str, Any]:
    """The method's answer object; JOS gateway errors raise (account faults as CarrierAccountFault)."""
    if not 200 <= status < 300:
        raise CarrierUnavailable(f"JD answered HTTP {status}: {body[:200]!r}")
    reply = json_object(body)
    if reply is None:
        raise CarrierUnavailable(f"JD answered an unreadable body: {body[:200]!r}")
    error = reply.get("error_response")
    if isinstance(error, dict):
        code = str(error.get("code") or "")
        said = f"JD's gateway refused the call with {code}: {error.get('zh_desc') or error.get('en_desc') or ''}"
        if code in ACCOUNT_CODES:
            raise CarrierAccountFault(f"{said} ({ACCOUNT_CODES[code]})", code)
        raise CarrierUnavailable(said)
    answer = reply.get(response_key(method))
    if not isinstance(answer, dict) or str(answer.get("code", "")) != GATEWAY_OK:
        raise CarrierUnavailable(f"JD answered without {response_key(method)}: {body[:200]!r}")
    return answer


def _state(answer: Mapping[str, Any]) -> tuple[str, str]:
    for value in answer.values():
        if isinstance(value, dict) and "stateCode" in value:
            return str(value["stateCode"]), text(value.get("stateMessage")) or ""
    raise CarrierUnavailable("JD answered without a stateCode")


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    """Taken (the result comes by polling), or refused with a mapped code."""
    code, message = _state(read_answer(status, body, INTERCEPT_METHOD))
    if code in REASON_CODES:
        return SubmitOutcome(CarrierResult.failed, reason_code=REASON_CODES[code], message=f"{code}: {message}")
    return SubmitOutcome(CarrierResult.accepted, message=f"{code}: {message}" if message else code)


def parse_query_response(status: int, body: bytes) -> SubmitOutcome:
    code, message = _state(read_answer(status, body, INTERCEPT_METHOD))
    if code in RESULTS:
        return SubmitOutcome(RESULTS[code], message=f"{code}: {message}")
    if code in REASON_CODES:
        return SubmitOutcome(CarrierResult.failed, reason_code=REASON_CODES[code], message=f"{code}: {message}")
    return SubmitOutcome(CarrierResult.accepted, message=f"{code}: {message}")


def parse_track_response(status: int, body: bytes) -> Tracking:
    answer = read_answer(status, body, TRACK_METHOD)
    result = answer.get("querytrace_result")
    if not isinstance(result, dict) or not isinstance(result.get("data"), list):
        raise CarrierUnavailable("JD's trace answered without a trace list")
    return common.tracking_of(common.Answer(True, data={"data": result["data"]}), "data", SCAN_FIELDS, STAGES)


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: JdSettings) -> CallbackEvent:
    raise InvalidCallback("JD publishes no interception push; its results are polled")


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    return HttpReply(200 if accepted else 400, compact_json({"code": "0" if accepted else "1", "message": message}))
