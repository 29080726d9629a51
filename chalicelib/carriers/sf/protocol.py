"""SF Express (顺丰), the wire protocol: signing, requests, answers, result pushes and their ack.

Wire protocol (SF open platform, published): a form POST to `base_url` with `partnerID`,
`requestID` (unique per call), `serviceCode` (the API, e.g. EXP_RECE_WANTED_INTERCEPT),
`timestamp` (epoch ms), `msgData` (JSON) and
`msgDigest = base64(md5_raw(java_urlencode(msgData + timestamp + checkWord)))`.
Replies wrap the business answer as a JSON string:
`{"apiResultCode": "A1000", "apiErrorMsg", "apiResponseID", "apiResultData": "{\"success\":...,
\"errorCode\", \"errorMsg\", \"msgData\"}"}`; A1000 means the platform accepted the call.

Intercept `msgData`: `waybillNo`, `serviceCode` 2 (return to sender) or 1 (redirect, with
`newDestAddress`), `role` 1 (sender), `payMode` and `monthlyCardNo` from the account. `cancel` with the `cusId` SF returned revokes it.
Modelled, not published: the status-query service, the result push (sent to the URL configured in
SF's console, signed like a request, with serviceCode PUSH_SERVICE), its codes, and an `orderId`
field we add to msgData so SF can echo our id (SF's documented msgData has no client reference).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import quote_plus, urlencode

from chalicelib.carriers import common
from chalicelib.carriers.base import (
    Address,
    CallbackEvent,
    CancelOutcome,
    CarrierUnavailable,
    HttpReply,
    InterceptOrder,
    InvalidCallback,
    SubmitOutcome,
)
from chalicelib.carriers.sf.units import PLATFORM_CODES, REASON_CODES, RESULTS, STAGES
from chalicelib.carriers.wire import (
    compact_json,
    epoch_millis,
    form_fields,
    json_object,
    md5_base64,
    push_object,
    same,
    text,
)
from chalicelib.domain.stages import ParcelStage

if TYPE_CHECKING:
    from chalicelib.carriers.adapter import Call, WireRequest
    from chalicelib.carriers.sf.settings import SfSettings

INTERCEPT_SERVICE = "EXP_RECE_WANTED_INTERCEPT"
ROUTES_SERVICE = "EXP_RECE_SEARCH_ROUTES"
QUERY_SERVICE = "EXP_RECE_QUERY_WANTED_INTERCEPT"
PUSH_SERVICE = "EXP_RECE_WANTED_INTERCEPT_PUSH"
SERVICE_RETURN = "2"
SERVICE_REDIRECT = "1"
ROLE_SENDER = "1"
CARRIER_REF_FIELD = "cusId"
PLATFORM_OK = "A1000"

PUSH_FIELDS = common.PushFields(event_id="requestID", intercept_id="orderId", tracking_no="waybillNo",
                                status="interceptStatus", reason="errorCode", message="remark", timestamp=None)


def java_urlencode(value: str) -> str:
    """java.net.URLEncoder.encode(value, "UTF-8"): space -> '+', '*' kept, '~' -> '%7E'."""
    return quote_plus(value, safe="*", encoding="utf-8").replace("~", "%7E")


def hashed_text(msg_data: str, timestamp: str, check_word: str) -> str:
    """What msgDigest is the digest of: the Java URL encoding of msgData + timestamp + checkWord."""
    return java_urlencode(msg_data + timestamp + check_word)


def sign(msg_data: str, timestamp: str, check_word: str) -> str:
    """msgDigest = base64(md5_raw(java_urlencode(msgData + timestamp + checkWord)))."""
    return md5_base64(hashed_text(msg_data, timestamp, check_word).encode("utf-8"))


def _address(address: Address) -> dict[str, str]:
    return {"province": address.province, "city": address.city, "county": address.district,
            "address": address.street, "contact": address.name, "phone": address.phone}


def intercept_payload(order: InterceptOrder, settings: SfSettings) -> dict[str, Any]:
    payload: dict[str, Any] = {"waybillNo": order.tracking_no, "orderId": order.intercept_id, "role": ROLE_SENDER,
                               "payMode": settings.pay_mode}
    if settings.monthly_card_no:
        payload["monthlyCardNo"] = settings.monthly_card_no
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


def routes_payload(tracking_no: str) -> dict[str, Any]:
    return {"language": "zh-CN", "trackingType": "1", "trackingNumber": [tracking_no], "methodType": "1"}


def http_request(service: str, payload: dict[str, Any], settings: SfSettings, timestamp_ms: int,
                 request_id: str) -> WireRequest:
    msg_data = compact_json(payload)
    timestamp = str(timestamp_ms)
    form = {"partnerID": settings.partner_id, "requestID": request_id, "serviceCode": service,
            "timestamp": timestamp, "msgDigest": sign(msg_data, timestamp, settings.check_word), "msgData": msg_data}
    return (settings.base_url, urlencode(form).encode("ascii"),
            {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})


def intercept_request(order: InterceptOrder, settings: SfSettings, call: Call) -> WireRequest:
    return http_request(INTERCEPT_SERVICE, intercept_payload(order, settings), settings, call.now_ms, call.request_id)


def cancel_request(order: InterceptOrder, settings: SfSettings, call: Call) -> WireRequest:
    """A cancel is the interception service again, with `cancel` and the cusId."""
    return http_request(INTERCEPT_SERVICE, cancel_payload(order), settings, call.now_ms, call.request_id)


def query_request(order: InterceptOrder, settings: SfSettings, call: Call) -> WireRequest:
    payload = {"waybillNo": order.tracking_no, "orderId": order.intercept_id}
    return http_request(QUERY_SERVICE, payload, settings, call.now_ms, call.request_id)


def track_request(tracking_no: str, settings: SfSettings, call: Call) -> WireRequest:
    return http_request(ROUTES_SERVICE, routes_payload(tracking_no), settings, call.now_ms, call.request_id)


def read_answer(status: int, body: bytes) -> common.Answer:
    """SF's answer is two envelopes: the platform's (apiResultCode) around the business one."""
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


def parse_track_response(status: int, body: bytes) -> ParcelStage:
    """The routes of the first (only) waybill asked about."""
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
    push = push_object(msg_data, "msgData")
    push["requestID"] = form.get("requestID", "")
    event = common.callback_event(push, PUSH_FIELDS, RESULTS, REASON_CODES, now)
    return replace(event, occurred_at=epoch_millis(timestamp))


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    body = {"apiResultCode": PLATFORM_OK if accepted else "A1006", "apiErrorMsg": "" if accepted else message or "rejected"}
    return HttpReply(200 if accepted else 400, compact_json(body))
