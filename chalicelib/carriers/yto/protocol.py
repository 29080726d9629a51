"""YTO (圆通) express, the wire protocol: signing, requests, answers, result pushes and their ack.

Wire protocol (modelled on YTO's open platform; only the signature is published, by third-party
summaries): a form POST to `base_url` with `app_key`, `method`, `v`, `format=json`, `timestamp`,
`param` (the JSON business payload) and `sign = base64(md5_raw(param + method + v + secret))`.
Replies are JSON `{"success": bool, "code": str, "message": str, "data": {...}}`. Result pushes
are the same form, signed the same way by YTO, with `method` = PUSH_METHOD.

The method names are not public: each lives in one constant below (its codes in units.py).
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlencode

from chalicelib.carriers import common
from chalicelib.carriers.base import (
    CallbackEvent,
    CancelOutcome,
    HttpReply,
    InterceptOrder,
    InvalidCallback,
    SubmitOutcome,
    Tracking,
)
from chalicelib.carriers.wire import compact_json, form_fields, md5_base64, push_object, same
from chalicelib.carriers.yto.units import REASON_CODES, RESULTS, STAGES, SYSTEM_CODES

if TYPE_CHECKING:
    from chalicelib.carriers.adapter import Call, WireRequest
    from chalicelib.carriers.yto.settings import YtoSettings

INTERCEPT_METHOD = "yto.intercept.apply"
CANCEL_METHOD = "yto.intercept.cancel"
QUERY_METHOD = "yto.intercept.query"
TRACK_METHOD = "yto.Marketing.WaybillTrace"  # published
PUSH_METHOD = "yto.intercept.notify"
VERSION = "v1"
CARRIER_REF_FIELD = "interceptNo"

ENVELOPE = common.Envelope("YTO", verdict="success", code="code", message="message", data="data",
                           system_codes=SYSTEM_CODES)

PUSH_FIELDS = common.PushFields(event_id="notifyId", intercept_id="orderNo", tracking_no="waybillNo",
                                status="interceptStatus", reason="reasonCode", message="remark",
                                timestamp="notifyTime")
#: the scans of a tracking answer (modelled)
SCAN_FIELDS = common.ScanFields(code="operateType", at="upload_Time", text="processInfo", location="city")


def sign(param: str, method: str, version: str, secret: str) -> str:
    """base64(md5_raw(param + method + v + secret)) over UTF-8."""
    return md5_base64((param + method + version + secret).encode("utf-8"))


def intercept_payload(order: InterceptOrder) -> dict[str, Any]:
    if order.redirect_to is not None:
        raise ValueError("YTO interception returns to the sender only; redirect is not offered")
    return {"waybillNo": order.tracking_no, "orderNo": order.intercept_id, "interceptType": "RETURN",
            "reason": order.reason, "notifyUrl": order.callback_url}


def order_payload(order: InterceptOrder) -> dict[str, Any]:
    """Cancel and query name the instruction the same way."""
    return {"waybillNo": order.tracking_no, "orderNo": order.intercept_id}


def http_request(method: str, payload: dict[str, Any], settings: YtoSettings, timestamp_ms: int) -> WireRequest:
    param = compact_json(payload)
    form = {"app_key": settings.app_key, "method": method, "v": VERSION, "format": "json",
            "timestamp": str(timestamp_ms), "param": param, "sign": sign(param, method, VERSION, settings.secret)}
    return (settings.base_url, urlencode(form).encode("ascii"),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})


def intercept_request(order: InterceptOrder, settings: YtoSettings, call: Call) -> WireRequest:
    return http_request(INTERCEPT_METHOD, intercept_payload(order), settings, call.now_ms)


def cancel_request(order: InterceptOrder, settings: YtoSettings, call: Call) -> WireRequest:
    return http_request(CANCEL_METHOD, order_payload(order), settings, call.now_ms)


def query_request(order: InterceptOrder, settings: YtoSettings, call: Call) -> WireRequest:
    return http_request(QUERY_METHOD, order_payload(order), settings, call.now_ms)


def track_request(tracking_no: str, settings: YtoSettings, call: Call) -> WireRequest:
    return http_request(TRACK_METHOD, {"waybillNo": tracking_no}, settings, call.now_ms)


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    return common.submit_outcome(common.read_answer(status, body, ENVELOPE), REASON_CODES, CARRIER_REF_FIELD)


def parse_cancel_response(status: int, body: bytes) -> CancelOutcome:
    return common.cancel_outcome(common.read_answer(status, body, ENVELOPE), REASON_CODES)


def parse_query_response(status: int, body: bytes) -> SubmitOutcome:
    return common.query_outcome(common.read_answer(status, body, ENVELOPE), "interceptStatus", "reasonCode",
                                RESULTS, REASON_CODES)


def parse_track_response(status: int, body: bytes) -> Tracking:
    return common.tracking_of(common.read_answer(status, body, ENVELOPE), "traces", SCAN_FIELDS, STAGES)


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: YtoSettings) -> CallbackEvent:
    form = form_fields(body)
    if form.get("app_key") != settings.app_key:
        raise InvalidCallback("unknown or missing app_key")
    param, method, version = form.get("param", ""), form.get("method", ""), form.get("v", "")
    if method != PUSH_METHOD:
        raise InvalidCallback(f"unexpected method {method!r}")
    if not same(form.get("sign"), sign(param, method, version, settings.secret)):
        raise InvalidCallback("sign does not match")
    push = push_object(param, "param")
    return common.callback_event(push, PUSH_FIELDS, RESULTS, REASON_CODES, now)


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    body = {"success": accepted, "code": "0" if accepted else "1", "message": message or ("success" if accepted else "rejected")}
    return HttpReply(200 if accepted else 400, compact_json(body))
