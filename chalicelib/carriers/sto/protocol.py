"""STO (申通) express, the wire protocol: signing, requests, answers, result pushes and their ack.

Wire protocol (STO open platform's published envelope): a form POST to `base_url` with `api_name`,
`content` (the JSON business payload), `from_appkey`, `from_code`, `to_appkey`, `to_code` and
`data_digest = base64(md5_raw(content + secret))`. Replies are JSON `{"success": bool|"true",
"errorCode": str, "errorMsg": str, "data": {...}}`. Result pushes come as the same form from STO
(from_appkey = STO's, to_appkey = ours), signed with the same secret.

STO's interception API names are not public: each lives in one constant (its codes in units.py).
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
from chalicelib.carriers.sto.units import REASON_CODES, RESULTS, STAGES, SYSTEM_CODES
from chalicelib.carriers.wire import compact_json, form_fields, md5_base64, push_object, same

if TYPE_CHECKING:
    from chalicelib.carriers.adapter import Call, WireRequest
    from chalicelib.carriers.sto.settings import StoSettings

INTERCEPT_API = "STO_INTERCEPT_APPLY"
CANCEL_API = "STO_INTERCEPT_CANCEL"
QUERY_API = "STO_INTERCEPT_QUERY"
TRACK_API = "STO_TRACE_QUERY_COMMON"
PUSH_API = "STO_INTERCEPT_NOTIFY"
#: STO's own app key and code, the `to_*` of every call and the `from_*` of its pushes.
STO_APPKEY = "sto_intercept"
STO_CODE = "sto_intercept"
CARRIER_REF_FIELD = "interceptId"

ENVELOPE = common.Envelope("STO", verdict="success", code="errorCode", message="errorMsg", data="data",
                           system_codes=SYSTEM_CODES, verdict_as_text=True)

PUSH_FIELDS = common.PushFields(event_id="notifyId", intercept_id="orderId", tracking_no="waybillNo",
                                status="interceptStatus", reason="failCode", message="remark",
                                timestamp="notifyTime")
#: the scans of a tracking answer (modelled)
SCAN_FIELDS = common.ScanFields(code="scanType", at="opTime", text="memo", location="opOrgName")


def sign(content: str, secret: str) -> str:
    """base64(md5_raw(content + secret)), the `data_digest`."""
    return md5_base64((content + secret).encode("utf-8"))


def intercept_payload(order: InterceptOrder) -> dict[str, Any]:
    if order.redirect_to is not None:
        raise ValueError("STO interception returns to the sender only; redirect is not offered")
    return {"waybillNo": order.tracking_no, "orderId": order.intercept_id, "interceptType": "1",
            "reason": order.reason, "notifyUrl": order.callback_url}


def order_payload(order: InterceptOrder) -> dict[str, Any]:
    """Cancel and query name the instruction the same way."""
    return {"waybillNo": order.tracking_no, "orderId": order.intercept_id}


def http_request(api_name: str, payload: dict[str, Any], settings: StoSettings) -> WireRequest:
    content = compact_json(payload)
    form = {"api_name": api_name, "content": content, "from_appkey": settings.app_key,
            "from_code": settings.customer_code, "to_appkey": STO_APPKEY, "to_code": STO_CODE,
            "data_digest": sign(content, settings.secret)}
    return (settings.base_url, urlencode(form).encode("ascii"),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})


def intercept_request(order: InterceptOrder, settings: StoSettings, call: Call) -> WireRequest:
    return http_request(INTERCEPT_API, intercept_payload(order), settings)


def cancel_request(order: InterceptOrder, settings: StoSettings, call: Call) -> WireRequest:
    return http_request(CANCEL_API, order_payload(order), settings)


def query_request(order: InterceptOrder, settings: StoSettings, call: Call) -> WireRequest:
    return http_request(QUERY_API, order_payload(order), settings)


def track_request(tracking_no: str, settings: StoSettings, call: Call) -> WireRequest:
    return http_request(TRACK_API, {"waybillNoList": [tracking_no], "order": "asc"}, settings)


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    return common.submit_outcome(common.read_answer(status, body, ENVELOPE), REASON_CODES, CARRIER_REF_FIELD)


def parse_cancel_response(status: int, body: bytes) -> CancelOutcome:
    return common.cancel_outcome(common.read_answer(status, body, ENVELOPE), REASON_CODES)


def parse_query_response(status: int, body: bytes) -> SubmitOutcome:
    return common.query_outcome(common.read_answer(status, body, ENVELOPE), "interceptStatus", "failCode",
                                RESULTS, REASON_CODES)


def parse_track_response(status: int, body: bytes) -> Tracking:
    return common.tracking_of(common.read_answer(status, body, ENVELOPE), "traces", SCAN_FIELDS, STAGES)


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: StoSettings) -> CallbackEvent:
    form = form_fields(body)
    if form.get("api_name") != PUSH_API:
        raise InvalidCallback(f"unexpected api_name {form.get('api_name')!r}")
    if form.get("to_appkey") != settings.app_key or form.get("from_appkey") != STO_APPKEY:
        raise InvalidCallback("push is not from STO to this account")
    content = form.get("content", "")
    if not same(form.get("data_digest"), sign(content, settings.secret)):
        raise InvalidCallback("data_digest does not match")
    push = push_object(content, "content")
    return common.callback_event(push, PUSH_FIELDS, RESULTS, REASON_CODES, now)


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    body = {"success": accepted, "errorCode": "" if accepted else "S04", "errorMsg": "" if accepted else message or "rejected",
            "needRetry": not accepted}
    return HttpReply(200 if accepted else 400, compact_json(body))
