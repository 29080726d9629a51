"""kuaidi100 (快递100), an aggregator: interception at ZTO, YTO or J&T through one account.

Route a carrier through it with `{"yto": {"via": "kuaidi100"}}` in the carrier configuration next
to a `"kuaidi100": {...}` entry with the account (see chalicelib/carriers/__init__.py).

Wire protocol (kuaidi100's published API): a form POST to f"{base_url}/label/order" with `method`,
`key`, `t` (epoch ms), `param` (JSON) and `sign = UPPER(md5_hex(param + t + key + secret))`.
`method=interceptOrder`, `param.interceptType` RETURN_SEND_ADDR (back to the sender's address) or
MODIFY_ADDR (redirect, with `recManInfo`); ZTO, YTO and J&T give their results only by callback,
to `callbackUrl`, as a form `param=<json>&sign=UPPER(md5_hex(param + salt))` with the `salt` we
sent. Tracking uses the published query: f"{base_url}/poll/query.do" with `customer`, `param` and
`sign = UPPER(md5_hex(param + key + customer))`, answering `state` codes.
Replies are `{"result": bool, "returnCode": str, "message": str, "data": ...}`.
Modelled, not published: the cancel and status-query method names and the push's result codes.
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
from chalicelib.carriers.wire import compact_json, form_fields, json_object, md5_hex_upper, same, text
from chalicelib.domain.stages import ParcelStage

if TYPE_CHECKING:
    from chalicelib.carriers.http import CarrierHttp

INTERCEPT_METHOD = "interceptOrder"
CANCEL_METHOD = "cancelInterceptOrder"
QUERY_METHOD = "queryInterceptOrder"
ORDER_PATH = "label/order"
TRACK_PATH = "poll/query.do"
RETURN_TO_SENDER = "RETURN_SEND_ADDR"
REDIRECT = "MODIFY_ADDR"
OK_CODE = "200"
CARRIER_REF_FIELD = "taskId"

#: Our carrier code -> kuaidi100's company code, for the carriers it can intercept at.
COMPANY_CODES: dict[str, str] = {"zto": "zhongtong", "yto": "yuantong", "jt": "jtexpress"}

#: returnCodes that are faults in our call or account.
SYSTEM_CODES: dict[str, str] = {
    "400": "bad request or missing parameter",
    "401": "bad sign",
    "403": "key not authorised for this method",
    "429": "rate limited",
    "500": "kuaidi100 server error",
    "503": "carrier system unavailable",
}

REASON_CODES: dict[str, str] = {
    "30001": "parcel_signed",
    "30002": "parcel_out_for_delivery",
    "30003": "already_intercepted",
    "30004": "parcel_returning",
    "30005": "parcel_not_picked_up",
    "30006": "intercept_not_found",
}

RESULTS: dict[str, CarrierResult] = {
    "INTERCEPTING": CarrierResult.accepted,
    "INTERCEPT_SUCCESS": CarrierResult.intercepted,
    "INTERCEPT_FAIL": CarrierResult.failed,
    "RETURN_SIGNED": CarrierResult.returned,
}

#: Tracking `state` (with resultv2 sub-states) -> unified parcel stage.
STAGES: dict[str, ParcelStage] = {
    "0": ParcelStage.in_transit, "1002": ParcelStage.in_transit, "1003": ParcelStage.in_transit,
    "7": ParcelStage.in_transit,
    "1001": ParcelStage.at_destination_city,
    "1": ParcelStage.picked_up, "103": ParcelStage.picked_up,
    "101": ParcelStage.awaiting_pickup, "102": ParcelStage.awaiting_pickup,
    "2": ParcelStage.problem,
    "3": ParcelStage.signed, "301": ParcelStage.signed, "302": ParcelStage.signed, "303": ParcelStage.signed,
    "304": ParcelStage.signed,
    "4": ParcelStage.returned,
    "5": ParcelStage.out_for_delivery,
    "501": ParcelStage.in_locker,
    "6": ParcelStage.returning,
    "14": ParcelStage.refused,
}

PUSH_FIELDS = common.PushFields(event_id="eventId", intercept_id="orderId", tracking_no="kuaidinum",
                                status="interceptStatus", reason="failCode", message="message", timestamp=None)


@dataclass(frozen=True)
class Kuaidi100Settings:
    base_url: str
    key: str
    secret: str
    customer: str
    salt: str


def sign(param: str, t: str, key: str, secret: str) -> str:
    """UPPER(md5_hex(param + t + key + secret)) for the order API."""
    return md5_hex_upper((param + t + key + secret).encode("utf-8"))


def query_sign(param: str, key: str, customer: str) -> str:
    """UPPER(md5_hex(param + key + customer)) for the tracking query."""
    return md5_hex_upper((param + key + customer).encode("utf-8"))


def push_sign(param: str, salt: str) -> str:
    """UPPER(md5_hex(param + salt)), how kuaidi100 signs its callbacks."""
    return md5_hex_upper((param + salt).encode("utf-8"))


def now_ms() -> int:
    return int(time.time() * 1000)


def intercept_payload(order: InterceptOrder, company: str, settings: Kuaidi100Settings) -> dict[str, Any]:
    payload: dict[str, Any] = {"kuaidicom": company, "kuaidinum": order.tracking_no, "orderId": order.intercept_id,
                               "reason": order.reason, "salt": settings.salt, "callbackUrl": order.callback_url}
    if order.redirect_to is None:
        payload["interceptType"] = RETURN_TO_SENDER
    else:
        to = order.redirect_to
        payload.update(interceptType=REDIRECT,
                       recManInfo={"name": to.name, "mobile": to.phone, "printAddr": to.one_line()})
    return payload


def order_payload(order: InterceptOrder, company: str) -> dict[str, Any]:
    payload = {"kuaidicom": company, "kuaidinum": order.tracking_no, "orderId": order.intercept_id}
    if order.carrier_ref:
        payload[CARRIER_REF_FIELD] = order.carrier_ref
    return payload


def http_request(method: str, payload: dict[str, Any], settings: Kuaidi100Settings, timestamp_ms: int) -> tuple[str, bytes, dict]:
    param, t = compact_json(payload), str(timestamp_ms)
    form = {"method": method, "key": settings.key, "t": t, "param": param, "sign": sign(param, t, settings.key, settings.secret)}
    return (f"{settings.base_url.rstrip('/')}/{ORDER_PATH}", urlencode(form).encode("ascii"),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})


def track_request(company: str, tracking_no: str, settings: Kuaidi100Settings) -> tuple[str, bytes, dict]:
    param = compact_json({"com": company, "num": tracking_no, "resultv2": "1"})
    form = {"customer": settings.customer, "param": param, "sign": query_sign(param, settings.key, settings.customer)}
    return (f"{settings.base_url.rstrip('/')}/{TRACK_PATH}", urlencode(form).encode("ascii"),
            {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})


def read_answer(status: int, body: bytes) -> common.Answer:
    if not 200 <= status < 300:
        raise CarrierUnavailable(f"kuaidi100 answered HTTP {status}: {body[:200]!r}")
    reply = json_object(body)
    if reply is None or not isinstance(reply.get("result"), bool):
        raise CarrierUnavailable(f"kuaidi100 answered an unreadable body: {body[:200]!r}")
    code = str(reply.get("returnCode") or "")
    message = text(reply.get("message")) or ""
    if not reply["result"] and code in SYSTEM_CODES:
        raise CarrierUnavailable(f"kuaidi100 refused the call with {code} ({SYSTEM_CODES[code]}): {message}")
    data = reply.get("data")
    return common.Answer(reply["result"], code, message, data if isinstance(data, dict) else {})


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    return common.submit_outcome(read_answer(status, body), REASON_CODES, CARRIER_REF_FIELD)


def parse_cancel_response(status: int, body: bytes) -> CancelOutcome:
    return common.cancel_outcome(read_answer(status, body), REASON_CODES)


def parse_query_response(status: int, body: bytes) -> SubmitOutcome:
    return common.query_outcome(read_answer(status, body), "interceptStatus", "failCode", RESULTS, REASON_CODES)


def parse_track_response(status: int, body: bytes) -> ParcelStage:
    """The tracking query's own shape: `{"status": "200", "state": "0", "data": [...]}`."""
    if not 200 <= status < 300:
        raise CarrierUnavailable(f"kuaidi100 answered HTTP {status}: {body[:200]!r}")
    reply = json_object(body)
    if reply is None or str(reply.get("status") or "") != OK_CODE:
        raise CarrierUnavailable(f"kuaidi100 tracking query failed: {body[:200]!r}")
    state = str(reply.get("state") or "")
    return STAGES.get(state) or STAGES.get(_parent_state(state), ParcelStage.unknown)


def _parent_state(state: str) -> str:
    """resultv2 sub-states: 301 -> 3, 501 -> 5; 1001-1003 are sub-states of 0 (in transit)."""
    if len(state) == 3:
        return state[0]
    if len(state) == 4 and state.startswith("10"):
        return "0"
    return ""


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: Kuaidi100Settings) -> CallbackEvent:
    """kuaidi100's push has no timestamp and no push id: the event id is the order and its status,
    so a repeated push of one result is a duplicate while a new status is a new event."""
    form = form_fields(body)
    param = form.get("param", "")
    if not same(form.get("sign"), push_sign(param, settings.salt)):
        raise InvalidCallback("sign does not match")
    push = json_object(param)
    if push is None:
        raise InvalidCallback("param is not a JSON object")
    push["eventId"] = f"{text(push.get('orderId')) or ''}:{text(push.get('interceptStatus')) or ''}"
    return common.callback_event(push, PUSH_FIELDS, RESULTS, REASON_CODES, now)


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    body = {"result": accepted, "returnCode": OK_CODE if accepted else "500",
            "message": message or ("成功" if accepted else "失败")}
    return HttpReply(200 if accepted else 400, compact_json(body))


class Kuaidi100Adapter:
    """kuaidi100 acting for one carrier (`code`), so the gateway sees it as that carrier."""

    can_redirect = True

    def __init__(self, code: str, settings: Kuaidi100Settings, http: CarrierHttp,
                 clock_ms: Callable[[], int] | None = None) -> None:
        if code not in COMPANY_CODES:
            raise ValueError(f"kuaidi100 cannot intercept for {code}; it reaches {sorted(COMPANY_CODES)}")
        self.code = code
        self._company = COMPANY_CODES[code]
        self._settings = settings
        self._http = http
        self._clock_ms = clock_ms or now_ms

    def _call(self, method: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        url, body, headers = http_request(method, payload, self._settings, self._clock_ms())
        return self._http.post(url, data=body, headers=headers)

    def submit_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        return parse_intercept_response(*self._call(INTERCEPT_METHOD, intercept_payload(order, self._company, self._settings)))

    def cancel_intercept(self, order: InterceptOrder) -> CancelOutcome:
        return parse_cancel_response(*self._call(CANCEL_METHOD, order_payload(order, self._company)))

    def query_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        return parse_query_response(*self._call(QUERY_METHOD, order_payload(order, self._company)))

    def query_stage(self, tracking_no: str) -> ParcelStage:
        url, body, headers = track_request(self._company, tracking_no, self._settings)
        return parse_track_response(*self._http.post(url, data=body, headers=headers))

    def parse_callback(self, headers: Mapping[str, str], body: bytes, now: datetime) -> CallbackEvent:
        return parse_callback(headers, body, now, self._settings)

    def callback_ack(self, accepted: bool, message: str = "") -> HttpReply:
        return callback_ack(accepted, message)
