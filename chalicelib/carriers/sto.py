"""STO (申通) express: interception, its cancel and status query, tracking, and result pushes.

Wire protocol (STO open platform's published envelope): a form POST to `base_url` with `api_name`,
`content` (the JSON business payload), `from_appkey`, `from_code`, `to_appkey`, `to_code` and
`data_digest = base64(md5_raw(content + secret))`. Replies are JSON `{"success": bool|"true",
"errorCode": str, "errorMsg": str, "data": {...}}`. Result pushes come as the same form from STO
(from_appkey = STO's, to_appkey = ours), signed with the same secret.

STO's interception API names and business codes are not public: each lives in one constant or dict.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping
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

INTERCEPT_API = "STO_INTERCEPT_APPLY"
CANCEL_API = "STO_INTERCEPT_CANCEL"
QUERY_API = "STO_INTERCEPT_QUERY"
TRACK_API = "STO_TRACE_QUERY_COMMON"
PUSH_API = "STO_INTERCEPT_NOTIFY"
#: STO's own app key and code, the `to_*` of every call and the `from_*` of its pushes.
STO_APPKEY = "sto_intercept"
STO_CODE = "sto_intercept"
CARRIER_REF_FIELD = "interceptId"

SYSTEM_CODES: dict[str, str] = {
    "S01": "bad data_digest",
    "S02": "unknown from_appkey",
    "S03": "no such api_name",
    "S04": "missing parameter",
    "S05": "rate limited",
}

REASON_CODES: dict[str, str] = {
    "B01": "parcel_signed",
    "B02": "parcel_out_for_delivery",
    "B03": "already_intercepted",
    "B04": "parcel_returning",
    "B05": "parcel_not_picked_up",
    "B06": "intercept_not_found",
}

RESULTS: dict[str, CarrierResult] = {
    "0": CarrierResult.accepted,     # 处理中
    "1": CarrierResult.intercepted,  # 拦截成功
    "2": CarrierResult.failed,       # 拦截失败
    "3": CarrierResult.returned,     # 退回签收
}

#: Trace `scanType` -> unified parcel stage.
STAGES: dict[str, ParcelStage] = {
    "收件": ParcelStage.picked_up,
    "发件": ParcelStage.in_transit,
    "到件": ParcelStage.in_transit,
    "派件网点到件": ParcelStage.at_destination_outlet,
    "派件": ParcelStage.out_for_delivery,
    "驿站代收": ParcelStage.in_locker,
    "签收": ParcelStage.signed,
    "问题件": ParcelStage.problem,
    "退回件": ParcelStage.returning,
}

PUSH_FIELDS = common.PushFields(event_id="notifyId", intercept_id="orderId", tracking_no="waybillNo",
                                status="interceptStatus", reason="failCode", message="remark",
                                timestamp="notifyTime")


@dataclass(frozen=True)
class StoSettings:
    base_url: str
    app_key: str
    secret: str
    customer_code: str


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


def track_payload(tracking_no: str) -> dict[str, Any]:
    return {"waybillNoList": [tracking_no], "order": "asc"}


def http_request(api_name: str, payload: dict[str, Any], settings: StoSettings) -> tuple[str, bytes, dict]:
    content = compact_json(payload)
    form = {"api_name": api_name, "content": content, "from_appkey": settings.app_key,
            "from_code": settings.customer_code, "to_appkey": STO_APPKEY, "to_code": STO_CODE,
            "data_digest": sign(content, settings.secret)}
    return (settings.base_url, urlencode(form).encode("ascii"),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})


def read_answer(status: int, body: bytes) -> common.Answer:
    if not 200 <= status < 300:
        raise CarrierUnavailable(f"STO answered HTTP {status}: {body[:200]!r}")
    reply = json_object(body)
    success = reply.get("success") if reply is not None else None
    if success in ("true", "false"):
        success = success == "true"
    if not isinstance(success, bool):
        raise CarrierUnavailable(f"STO answered an unreadable body: {body[:200]!r}")
    code = str(reply.get("errorCode") or "")
    message = text(reply.get("errorMsg")) or ""
    if not success and code in SYSTEM_CODES:
        raise CarrierUnavailable(f"STO refused the call with {code} ({SYSTEM_CODES[code]}): {message}")
    data = reply.get("data")
    return common.Answer(success, code, message, data if isinstance(data, dict) else {})


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    return common.submit_outcome(read_answer(status, body), REASON_CODES, CARRIER_REF_FIELD)


def parse_cancel_response(status: int, body: bytes) -> CancelOutcome:
    return common.cancel_outcome(read_answer(status, body), REASON_CODES)


def parse_query_response(status: int, body: bytes) -> SubmitOutcome:
    return common.query_outcome(read_answer(status, body), "interceptStatus", "failCode", RESULTS, REASON_CODES)


def parse_track_response(status: int, body: bytes) -> ParcelStage:
    return common.latest_stage(read_answer(status, body), "traces", "scanType", STAGES)


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: StoSettings) -> CallbackEvent:
    form = form_fields(body)
    if form.get("api_name") != PUSH_API:
        raise InvalidCallback(f"unexpected api_name {form.get('api_name')!r}")
    if form.get("to_appkey") != settings.app_key or form.get("from_appkey") != STO_APPKEY:
        raise InvalidCallback("push is not from STO to this account")
    content = form.get("content", "")
    if not same(form.get("data_digest"), sign(content, settings.secret)):
        raise InvalidCallback("data_digest does not match")
    push = json_object(content)
    if push is None:
        raise InvalidCallback("content is not a JSON object")
    return common.callback_event(push, PUSH_FIELDS, RESULTS, REASON_CODES, now)


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    body = {"success": accepted, "errorCode": "" if accepted else "S04", "errorMsg": "" if accepted else message or "rejected",
            "needRetry": not accepted}
    return HttpReply(200 if accepted else 400, compact_json(body))


class StoAdapter:
    code = "sto"
    can_redirect = False

    def __init__(self, settings: StoSettings, http: CarrierHttp) -> None:
        self._settings = settings
        self._http = http

    def _call(self, api_name: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        url, body, headers = http_request(api_name, payload, self._settings)
        return self._http.post(url, data=body, headers=headers)

    def submit_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        return parse_intercept_response(*self._call(INTERCEPT_API, intercept_payload(order)))

    def cancel_intercept(self, order: InterceptOrder) -> CancelOutcome:
        return parse_cancel_response(*self._call(CANCEL_API, order_payload(order)))

    def query_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        return parse_query_response(*self._call(QUERY_API, order_payload(order)))

    def query_stage(self, tracking_no: str) -> ParcelStage:
        return parse_track_response(*self._call(TRACK_API, track_payload(tracking_no)))

    def parse_callback(self, headers: Mapping[str, str], body: bytes, now: datetime) -> CallbackEvent:
        return parse_callback(headers, body, now, self._settings)

    def callback_ack(self, accepted: bool, message: str = "") -> HttpReply:
        return callback_ack(accepted, message)
