"""SF Express (顺丰): interception (return or redirect), its cancel and status query, routes, pushes.

Wire protocol (SF open platform, published): a form POST to `base_url` with `partnerID`,
`requestID` (unique per call), `serviceCode` (the API, e.g. EXP_RECE_WANTED_INTERCEPT),
`timestamp` (epoch ms), `msgData` (JSON) and
`msgDigest = base64(md5_raw(java_urlencode(msgData + timestamp + checkWord)))`.
Replies wrap the business answer as a JSON string:
`{"apiResultCode": "A1000", "apiErrorMsg", "apiResponseID", "apiResultData": "{\"success\":...,
\"errorCode\", \"errorMsg\", \"msgData\"}"}`; A1000 means the platform accepted the call.

Intercept `msgData`: `waybillNo`, `serviceCode` 2 (return to sender) or 1 (redirect, with
`newDestAddress`), `role` 1 (sender), `payMode` 1. `cancel` with the `cusId` SF returned revokes it.
Modelled, not published: the status-query service, the result push (sent to the URL configured in
SF's console, signed like a request, with serviceCode PUSH_SERVICE), its codes, and an `orderId`
field we add to msgData so SF can echo our id (SF's documented msgData has no client reference).
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Mapping
from urllib.parse import quote_plus, urlencode

from chalicelib.carriers import common
from chalicelib.carriers.base import (
    Address,
    CallbackEvent,
    CancelOutcome,
    CarrierResult,
    CarrierUnavailable,
    HttpReply,
    InterceptOrder,
    InvalidCallback,
    SubmitOutcome,
)
from chalicelib.carriers.wire import compact_json, epoch_millis, form_fields, json_object, md5_base64, same, text
from chalicelib.domain.stages import ParcelStage

if TYPE_CHECKING:
    from chalicelib.carriers.http import CarrierHttp

INTERCEPT_SERVICE = "EXP_RECE_WANTED_INTERCEPT"
ROUTES_SERVICE = "EXP_RECE_SEARCH_ROUTES"
QUERY_SERVICE = "EXP_RECE_QUERY_WANTED_INTERCEPT"
PUSH_SERVICE = "EXP_RECE_WANTED_INTERCEPT_PUSH"
SERVICE_RETURN = "2"
SERVICE_REDIRECT = "1"
ROLE_SENDER = "1"
PAY_SENDER_CASH = "1"
CARRIER_REF_FIELD = "cusId"
PLATFORM_OK = "A1000"
BUSINESS_OK = "S0000"

#: SF platform codes (apiResultCode) other than A1000: never a verdict on the parcel.
PLATFORM_CODES: dict[str, str] = {
    "A1001": "required parameter missing",
    "A1002": "request expired (timestamp)",
    "A1003": "IP not allowed",
    "A1004": "no permission for this service",
    "A1005": "rate limited",
    "A1006": "bad msgDigest",
    "A1007": "duplicate requestID",
    "A1008": "decryption failed",
    "A1009": "target service unavailable",
    "A1099": "system error",
}

#: SF business errorCode -> our reason codes.
REASON_CODES: dict[str, str] = {
    "8016": "parcel_signed",
    "8017": "parcel_out_for_delivery",
    "8018": "already_intercepted",
    "8019": "parcel_returning",
    "8020": "parcel_not_picked_up",
    "8021": "intercept_not_found",
}

RESULTS: dict[str, CarrierResult] = {
    "PROCESSING": CarrierResult.accepted,
    "SUCCESS": CarrierResult.intercepted,
    "FAIL": CarrierResult.failed,
    "RETURNED": CarrierResult.returned,
}

#: Route `opCode` -> unified parcel stage (the codes commonly seen on SF routes).
STAGES: dict[str, ParcelStage] = {
    "50": ParcelStage.picked_up,          # 顺丰已收件
    "54": ParcelStage.picked_up,          # 上门收件
    "30": ParcelStage.in_transit,         # 已发出 / 装车
    "31": ParcelStage.in_transit,         # 已到达
    "36": ParcelStage.in_transit,         # 中转
    "44": ParcelStage.out_for_delivery,   # 正在派送
    "204": ParcelStage.out_for_delivery,  # 派件
    "125": ParcelStage.in_locker,         # 丰巢
    "607": ParcelStage.in_locker,         # 代理点收件
    "80": ParcelStage.signed,             # 已签收
    "8000": ParcelStage.signed,
    "70": ParcelStage.problem,            # 派送不成功
    "33": ParcelStage.problem,            # 滞留
    "99": ParcelStage.returning,          # 退回
    "648": ParcelStage.returning,
}

PUSH_FIELDS = common.PushFields(event_id="requestID", intercept_id="orderId", tracking_no="waybillNo",
                                status="interceptStatus", reason="errorCode", message="remark", timestamp=None)


@dataclass(frozen=True)
class SfSettings:
    base_url: str
    partner_id: str
    check_word: str
    #: newDestAddress for returns, when the account wants it explicit (SF otherwise uses the sender's)
    return_address: dict | None = None


def java_urlencode(value: str) -> str:
    """java.net.URLEncoder.encode(value, "UTF-8"): space -> '+', '*' kept, '~' -> '%7E'."""
    return quote_plus(value, safe="*", encoding="utf-8").replace("~", "%7E")


def sign(msg_data: str, timestamp: str, check_word: str) -> str:
    """msgDigest = base64(md5_raw(java_urlencode(msgData + timestamp + checkWord)))."""
    return md5_base64(java_urlencode(msg_data + timestamp + check_word).encode("utf-8"))


def now_ms() -> int:
    return int(time.time() * 1000)


def _address(address: Address) -> dict[str, str]:
    return {"province": address.province, "city": address.city, "county": address.district,
            "address": address.street, "contact": address.name, "phone": address.phone}


def intercept_payload(order: InterceptOrder, settings: SfSettings) -> dict[str, Any]:
    payload: dict[str, Any] = {"waybillNo": order.tracking_no, "orderId": order.intercept_id, "role": ROLE_SENDER,
                               "payMode": PAY_SENDER_CASH}
    if order.redirect_to is not None:
        payload.update(serviceCode=SERVICE_REDIRECT, newDestAddress=_address(order.redirect_to))
    else:
        payload["serviceCode"] = SERVICE_RETURN
        if settings.return_address:
            payload["newDestAddress"] = dict(settings.return_address)
    return payload


def cancel_payload(order: InterceptOrder) -> dict[str, Any]:
    payload: dict[str, Any] = {"waybillNo": order.tracking_no, "orderId": order.intercept_id, "cancel": True}
    if order.carrier_ref:
        payload[CARRIER_REF_FIELD] = order.carrier_ref
    return payload


def query_payload(order: InterceptOrder) -> dict[str, Any]:
    return {"waybillNo": order.tracking_no, "orderId": order.intercept_id}


def routes_payload(tracking_no: str) -> dict[str, Any]:
    return {"language": "zh-CN", "trackingType": "1", "trackingNumber": [tracking_no], "methodType": "1"}


def http_request(service: str, payload: dict[str, Any], settings: SfSettings, timestamp_ms: int,
                 request_id: str) -> tuple[str, bytes, dict]:
    msg_data = compact_json(payload)
    timestamp = str(timestamp_ms)
    form = {"partnerID": settings.partner_id, "requestID": request_id, "serviceCode": service,
            "timestamp": timestamp, "msgDigest": sign(msg_data, timestamp, settings.check_word), "msgData": msg_data}
    return (settings.base_url, urlencode(form).encode("ascii"),
            {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})


def read_answer(status: int, body: bytes) -> common.Answer:
    if not 200 <= status < 300:
        raise CarrierUnavailable(f"SF answered HTTP {status}: {body[:200]!r}")
    reply = json_object(body)
    code = reply.get("apiResultCode") if reply is not None else None
    if not isinstance(code, str):
        raise CarrierUnavailable(f"SF answered an unreadable body: {body[:200]!r}")
    if code != PLATFORM_OK:
        meaning = PLATFORM_CODES.get(code, "platform error")
        raise CarrierUnavailable(f"SF refused the call with {code} ({meaning}): {reply.get('apiErrorMsg')}")
    result = json_object(reply.get("apiResultData") or "")
    if result is None or not isinstance(result.get("success"), bool):
        raise CarrierUnavailable(f"SF answered unreadable apiResultData: {body[:200]!r}")
    data = result.get("msgData")
    return common.Answer(result["success"], str(result.get("errorCode") or ""), text(result.get("errorMsg")) or "",
                         data if isinstance(data, dict) else {})


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    return common.submit_outcome(read_answer(status, body), REASON_CODES, CARRIER_REF_FIELD)


def parse_cancel_response(status: int, body: bytes) -> CancelOutcome:
    return common.cancel_outcome(read_answer(status, body), REASON_CODES)


def parse_query_response(status: int, body: bytes) -> SubmitOutcome:
    return common.query_outcome(read_answer(status, body), "interceptStatus", "errorCode", RESULTS, REASON_CODES)


def parse_routes_response(status: int, body: bytes) -> ParcelStage:
    answer = read_answer(status, body)
    responses = answer.data.get("routeResps")
    if not answer.ok or not isinstance(responses, list) or not responses or not isinstance(responses[0], dict):
        raise CarrierUnavailable(f"SF route query answered without routes: {answer.code} {answer.message}")
    routes = responses[0].get("routes")
    return common.latest_stage(common.Answer(True, data={"routes": routes}), "routes", "opCode", STAGES)


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: SfSettings) -> CallbackEvent:
    form = form_fields(body)
    if form.get("partnerID") != settings.partner_id:
        raise InvalidCallback("unknown or missing partnerID")
    if form.get("serviceCode") != PUSH_SERVICE:
        raise InvalidCallback(f"unexpected serviceCode {form.get('serviceCode')!r}")
    msg_data, timestamp = form.get("msgData", ""), form.get("timestamp", "")
    if not same(form.get("msgDigest"), sign(msg_data, timestamp, settings.check_word)):
        raise InvalidCallback("msgDigest does not match")
    if abs(epoch_millis(timestamp) - now) > common.CALLBACK_MAX_SKEW:
        raise InvalidCallback(f"timestamp {timestamp} is outside the accepted window")
    push = json_object(msg_data)
    if push is None:
        raise InvalidCallback("msgData is not a JSON object")
    push["requestID"] = form.get("requestID", "")
    event = common.callback_event(push, PUSH_FIELDS, RESULTS, REASON_CODES, now)
    return replace(event, occurred_at=epoch_millis(timestamp))


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    body = {"apiResultCode": PLATFORM_OK if accepted else "A1006", "apiErrorMsg": "" if accepted else message or "rejected"}
    return HttpReply(200 if accepted else 400, compact_json(body))


class SfAdapter:
    code = "sf"
    can_redirect = True

    def __init__(self, settings: SfSettings, http: CarrierHttp, clock_ms: Callable[[], int] | None = None,
                 request_id: Callable[[], str] | None = None) -> None:
        self._settings = settings
        self._http = http
        self._clock_ms = clock_ms or now_ms
        self._request_id = request_id or (lambda: uuid.uuid4().hex)

    def _call(self, service: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        url, body, headers = http_request(service, payload, self._settings, self._clock_ms(), self._request_id())
        return self._http.post(url, data=body, headers=headers)

    def submit_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        return parse_intercept_response(*self._call(INTERCEPT_SERVICE, intercept_payload(order, self._settings)))

    def cancel_intercept(self, order: InterceptOrder) -> CancelOutcome:
        return parse_cancel_response(*self._call(INTERCEPT_SERVICE, cancel_payload(order)))

    def query_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        return parse_query_response(*self._call(QUERY_SERVICE, query_payload(order)))

    def query_stage(self, tracking_no: str) -> ParcelStage:
        return parse_routes_response(*self._call(ROUTES_SERVICE, routes_payload(tracking_no)))

    def parse_callback(self, headers: Mapping[str, str], body: bytes, now: datetime) -> CallbackEvent:
        return parse_callback(headers, body, now, self._settings)

    def callback_ack(self, accepted: bool, message: str = "") -> HttpReply:
        return callback_ack(accepted, message)
