"""YTO (圆通) express: interception, its cancel and status query, tracking, and result pushes.

Wire protocol (modelled on YTO's open platform; only the signature is published, by third-party
summaries): a form POST to `base_url` with `app_key`, `method`, `v`, `format=json`, `timestamp`,
`param` (the JSON business payload) and `sign = base64(md5_raw(param + method + v + secret))`.
Replies are JSON `{"success": bool, "code": str, "message": str, "data": {...}}`. Result pushes
are the same form, signed the same way by YTO, with `method` = PUSH_METHOD.

The method names and business codes are not public: each lives in one constant or dict below.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Mapping
from urllib.parse import urlencode

from chalicelib.carriers import common
from chalicelib.carriers.base import (
    CallbackEvent,
    CancelOutcome,
    CarrierResult,
    CarrierUnavailable,
    HttpReply,
    InterceptOrder,
    InvalidCallback,
    SubmitOutcome,
)
from chalicelib.carriers.wire import compact_json, form_fields, json_object, md5_base64, same, text
from chalicelib.domain.stages import ParcelStage

if TYPE_CHECKING:
    from chalicelib.carriers.http import CarrierHttp

INTERCEPT_METHOD = "yto.intercept.apply"
CANCEL_METHOD = "yto.intercept.cancel"
QUERY_METHOD = "yto.intercept.query"
TRACK_METHOD = "yto.trace.query"
PUSH_METHOD = "yto.intercept.notify"
VERSION = "v1"
CARRIER_REF_FIELD = "interceptNo"

#: YTO codes for faults in our call or account: never a verdict on the parcel.
SYSTEM_CODES: dict[str, str] = {
    "1001": "bad signature",
    "1002": "unknown app_key",
    "1003": "no such method",
    "1004": "missing parameter",
    "1005": "rate limited",
}

#: YTO business refusal codes -> our reason codes.
REASON_CODES: dict[str, str] = {
    "2001": "parcel_signed",
    "2002": "parcel_out_for_delivery",
    "2003": "already_intercepted",
    "2004": "parcel_returning",
    "2005": "parcel_not_picked_up",
    "2006": "intercept_not_found",
}

#: Interception status (pushes and queries) -> unified result.
RESULTS: dict[str, CarrierResult] = {
    "PROCESSING": CarrierResult.accepted,
    "SUCCESS": CarrierResult.intercepted,
    "FAIL": CarrierResult.failed,
    "RETURNED": CarrierResult.returned,
}

#: Trace `operateType` -> unified parcel stage.
STAGES: dict[str, ParcelStage] = {
    "GOT": ParcelStage.picked_up,             # 揽收
    "DEPARTURE": ParcelStage.in_transit,      # 发件
    "ARRIVAL": ParcelStage.in_transit,        # 到件
    "OUTLET_ARRIVAL": ParcelStage.at_destination_outlet,  # 到达派件网点
    "SENT_SCAN": ParcelStage.out_for_delivery,  # 派件
    "INBOUND": ParcelStage.in_locker,         # 入柜 / 驿站
    "SIGNED": ParcelStage.signed,             # 签收
    "FAILED": ParcelStage.problem,            # 问题件
    "TMS_RETURN": ParcelStage.returning,      # 退回
}



def now_ms() -> int:
    return int(time.time() * 1000)


PUSH_FIELDS = common.PushFields(event_id="notifyId", intercept_id="orderNo", tracking_no="waybillNo",
                                status="interceptStatus", reason="reasonCode", message="remark",
                                timestamp="notifyTime")


@dataclass(frozen=True)
class YtoSettings:
    base_url: str
    app_key: str
    secret: str


def sign(param: str, method: str, version: str, secret: str) -> str:
    """base64(md5_raw(param + method + v + secret)) over UTF-8."""
    return md5_base64((param + method + version + secret).encode("utf-8"))


def intercept_payload(order: InterceptOrder) -> dict[str, Any]:
    if order.redirect_to is not None:
        raise ValueError("YTO interception returns to the sender only; redirect is not offered")
    return {"waybillNo": order.tracking_no, "orderNo": order.intercept_id, "interceptType": "RETURN",
            "reason": order.reason, "notifyUrl": order.callback_url}


def cancel_payload(order: InterceptOrder) -> dict[str, Any]:
    return {"waybillNo": order.tracking_no, "orderNo": order.intercept_id}


def query_payload(order: InterceptOrder) -> dict[str, Any]:
    return {"waybillNo": order.tracking_no, "orderNo": order.intercept_id}


def track_payload(tracking_no: str) -> dict[str, Any]:
    return {"waybillNo": tracking_no}


def http_request(method: str, payload: dict[str, Any], settings: YtoSettings, timestamp_ms: int) -> tuple[str, bytes, dict]:
    """(url, form body, headers) for one call."""
    param = compact_json(payload)
    form = {"app_key": settings.app_key, "method": method, "v": VERSION, "format": "json",
            "timestamp": str(timestamp_ms), "param": param, "sign": sign(param, method, VERSION, settings.secret)}
    return (settings.base_url, urlencode(form).encode("ascii"),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})


def read_answer(status: int, body: bytes) -> common.Answer:
    if not 200 <= status < 300:
        raise CarrierUnavailable(f"YTO answered HTTP {status}: {body[:200]!r}")
    reply = json_object(body)
    if reply is None or not isinstance(reply.get("success"), bool):
        raise CarrierUnavailable(f"YTO answered an unreadable body: {body[:200]!r}")
    code = str(reply.get("code") or "")
    message = text(reply.get("message")) or ""
    if not reply["success"] and code in SYSTEM_CODES:
        raise CarrierUnavailable(f"YTO refused the call with {code} ({SYSTEM_CODES[code]}): {message}")
    data = reply.get("data")
    return common.Answer(reply["success"], code, message, data if isinstance(data, dict) else {})


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    return common.submit_outcome(read_answer(status, body), REASON_CODES, CARRIER_REF_FIELD)


def parse_cancel_response(status: int, body: bytes) -> CancelOutcome:
    return common.cancel_outcome(read_answer(status, body), REASON_CODES)


def parse_query_response(status: int, body: bytes) -> SubmitOutcome:
    return common.query_outcome(read_answer(status, body), "interceptStatus", "reasonCode", RESULTS, REASON_CODES)


def parse_track_response(status: int, body: bytes) -> ParcelStage:
    return common.latest_stage(read_answer(status, body), "traces", "operateType", STAGES)


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: YtoSettings) -> CallbackEvent:
    form = form_fields(body)
    if form.get("app_key") != settings.app_key:
        raise InvalidCallback("unknown or missing app_key")
    param, method, version = form.get("param", ""), form.get("method", ""), form.get("v", "")
    if method != PUSH_METHOD:
        raise InvalidCallback(f"unexpected method {method!r}")
    if not same(form.get("sign"), sign(param, method, version, settings.secret)):
        raise InvalidCallback("sign does not match")
    push = json_object(param)
    if push is None:
        raise InvalidCallback("param is not a JSON object")
    return common.callback_event(push, PUSH_FIELDS, RESULTS, REASON_CODES, now)


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    body = {"success": accepted, "code": "0" if accepted else "1", "message": message or ("success" if accepted else "rejected")}
    return HttpReply(200 if accepted else 400, compact_json(body))


class YtoAdapter:
    code = "yto"
    can_redirect = False

    def __init__(self, settings: YtoSettings, http: CarrierHttp, clock_ms: Callable[[], int] | None = None) -> None:
        self._settings = settings
        self._http = http
        self._clock_ms = clock_ms or now_ms

    def _call(self, method: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        url, body, headers = http_request(method, payload, self._settings, self._clock_ms())
        return self._http.post(url, data=body, headers=headers)

    def submit_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        return parse_intercept_response(*self._call(INTERCEPT_METHOD, intercept_payload(order)))

    def cancel_intercept(self, order: InterceptOrder) -> CancelOutcome:
        return parse_cancel_response(*self._call(CANCEL_METHOD, cancel_payload(order)))

    def query_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        return parse_query_response(*self._call(QUERY_METHOD, query_payload(order)))

    def query_stage(self, tracking_no: str) -> ParcelStage:
        return parse_track_response(*self._call(TRACK_METHOD, track_payload(tracking_no)))

    def parse_callback(self, headers: Mapping[str, str], body: bytes, now: datetime) -> CallbackEvent:
        return parse_callback(headers, body, now, self._settings)

    def callback_ack(self, accepted: bool, message: str = "") -> HttpReply:
        return callback_ack(accepted, message)
