"""SF Express (顺丰), the wire protocol: signing, requests, answers, result pushes and their ack.

Wire protocol (SF open platform, published): a form POST to `base_url` with `partnerID`,
`requestID` (unique per call), `serviceCode` (the API, e.g. EXP_RECE_WANTED_INTERCEPT),
`timestamp` (epoch ms), `msgData` (JSON) and
`msgDigest = base64(md5_raw(java_urlencode(msgData + timestamp + checkWord)))`.
Replies wrap the business answer as a JSON string:
`{"apiResultCode": "A1000", "apiErrorMsg", "apiResponseID", "apiResultData": "{\"success\":...,
\"errorCode\", \"errorMsg\", \"msgData\"}"}`; A1000 means the platform accepted the call.

Intercept `msgData` (published): `waybillNo`, `serviceCode` 2 (return to sender) or 1 (redirect,
with `newDestAddress`), `role` 1 (sender), `payMode` and `monthlyCardNo` from the merchant's account (else the settings); nothing
else (SF's msgData has no client reference, so none is sent). `cancel` with the `cusId` SF returned
revokes it. A fee variant answers `amount`, recorded as the fee SF charged (`SubmitOutcome.fee`).

SF publishes no interception status query and no interception result push. The result is read
from the parcel's routes instead: the route query `EXP_RECE_SEARCH_ROUTES` (published) is this
protocol's status query, and SF's route push (`WaybillRoute` entries: `id`, `mailno`, `orderid`,
`opCode`, `acceptTime`, `remark`, answered `{"return_code": "0000"}`; published) its callback.
Neither names our interception: the gateway finds it by the waybill (the parcel's claim).
Modelled: which route codes mean "intercepted" (returning) and "too late" (signed), in
units.ROUTE_RESULTS; the unit of `amount` (yuan); and the envelope of the route push, which the
gateway takes only when it is signed like a request (form `partnerID, requestID, serviceCode
PUSH_SERVICE, timestamp, msgDigest, msgData`), since an unsigned push could be forged.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Mapping
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
    Tracking,
)
from chalicelib.carriers.sf.units import PLATFORM_CODES, REASON_CODES, ROUTE_RESULTS, STAGES
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

if TYPE_CHECKING:
    from chalicelib.carriers.adapter import Call, WireRequest
    from chalicelib.carriers.sf.settings import SfSettings

INTERCEPT_SERVICE = "EXP_RECE_WANTED_INTERCEPT"
ROUTES_SERVICE = "EXP_RECE_SEARCH_ROUTES"
#: SF's route push service (published name); its signed envelope is modelled (see above)
PUSH_SERVICE = "RoutePushService"
SERVICE_RETURN = "2"
SERVICE_REDIRECT = "1"
ROLE_SENDER = "1"
#: `payMode` of a merchant's own monthly account (月结) unless it names 4: `monthlyCardNo` names the account
PAY_MONTHLY = "3"
CARRIER_REF_FIELD = "cusId"
FEE_FIELD = "amount"
PLATFORM_OK = "A1000"
#: the route push's answer (published): "0000" taken
PUSH_OK = "0000"
PUSH_REFUSED = "1000"
#: a route's fields (published: opCode, acceptTime "yyyy-MM-dd HH:mm:ss" Beijing time, remark, acceptAddress)
SCAN_FIELDS = common.ScanFields(code="opCode", at="acceptTime", text="remark", location="acceptAddress")


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


def payment(order: InterceptOrder, settings: SfSettings) -> dict[str, str]:
    """`payMode` and `monthlyCardNo`: the merchant's own monthly account where the order carries
    one (payMode 3 unless it says 4), else the platform-level settings'."""
    if order.account and order.account.get("monthlyCardNo"):
        return {"payMode": order.account.get("payMode") or PAY_MONTHLY, "monthlyCardNo": order.account["monthlyCardNo"]}
    paid = {"payMode": settings.pay_mode}
    return {**paid, "monthlyCardNo": settings.monthly_card_no} if settings.monthly_card_no else paid


def intercept_payload(order: InterceptOrder, settings: SfSettings) -> dict[str, Any]:
    payload: dict[str, Any] = {"waybillNo": order.tracking_no, "role": ROLE_SENDER, **payment(order, settings)}
    if order.redirect_to is not None:
        payload.update(serviceCode=SERVICE_REDIRECT, newDestAddress=_address(order.redirect_to))
    else:
        payload["serviceCode"] = SERVICE_RETURN
        if settings.return_address:
            payload["newDestAddress"] = dict(settings.return_address)
    return payload


def cancel_payload(order: InterceptOrder) -> dict[str, Any]:
    payload: dict[str, Any] = {"waybillNo": order.tracking_no, "cancel": True}
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
    """SF has no interception status query: the parcel's routes say where the interception stands."""
    return http_request(ROUTES_SERVICE, routes_payload(order.tracking_no), settings, call.now_ms, call.request_id)


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


def fee_fen(amount: object) -> int | None:
    """SF's `amount` (yuan, a number or a decimal string) in fen; None when absent or unreadable."""
    if amount is None or isinstance(amount, bool) or not isinstance(amount, (int, float, str)):
        return None
    try:
        fen = Decimal(str(amount)) * 100
    except InvalidOperation:
        return None
    return int(fen.to_integral_value()) if fen.is_finite() and fen >= 0 else None


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    answer = read_answer(status, body)
    outcome = common.submit_outcome(answer, REASON_CODES, CARRIER_REF_FIELD)
    fee = fee_fen(answer.data.get(FEE_FIELD)) if answer.ok else None
    return SubmitOutcome(outcome.result, outcome.carrier_ref, outcome.reason_code, outcome.message, fee=fee)


def parse_cancel_response(status: int, body: bytes) -> CancelOutcome:
    return common.cancel_outcome(read_answer(status, body), REASON_CODES)


def _routes(answer: common.Answer) -> list:
    responses = answer.data.get("routeResps")
    if not answer.ok or not isinstance(responses, list) or not responses or not isinstance(responses[0], dict):
        raise CarrierUnavailable(f"SF route query answered without routes: {answer.code} {answer.message}")
    routes = responses[0].get("routes")
    if not isinstance(routes, list):
        raise CarrierUnavailable("SF route query answered without a route list")
    return routes


def route_result(routes: list) -> tuple[CarrierResult, str | None, dict] | None:
    """The interception's result the newest result-bearing route says, with that route; None while
    no route says one (routes list oldest first)."""
    for route in reversed(routes):
        if isinstance(route, dict) and (text(route.get("opCode")) or "") in ROUTE_RESULTS:
            result, reason = ROUTE_RESULTS[route["opCode"]]
            return result, reason, route
    return None


def parse_query_response(status: int, body: bytes) -> SubmitOutcome:
    """The routes as the interception's status: `accepted` until a route says returning or signed."""
    found = route_result(_routes(read_answer(status, body)))
    if found is None:
        return SubmitOutcome(CarrierResult.accepted)
    result, reason, route = found
    return SubmitOutcome(result, reason_code=reason, message=text(route.get("remark")))


def parse_track_response(status: int, body: bytes) -> Tracking:
    """The routes of the first (only) waybill asked about."""
    routes = _routes(read_answer(status, body))
    return common.tracking_of(common.Answer(True, data={"routes": routes}), "routes", SCAN_FIELDS, STAGES)


def _accept_time(value: object, fallback: datetime) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=common.BEIJING) if isinstance(value, str) \
            else fallback
    except ValueError:
        return fallback


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: SfSettings) -> CallbackEvent:
    """A route push: the newest route that says the interception's result, or an event with no
    result (a scan that decides nothing, acknowledged and not applied). The intercept is found by
    the waybill (`intercept_id` is empty)."""
    form = form_fields(body)
    if form.get("partnerID") != settings.partner_id:
        raise InvalidCallback("unknown or missing partnerID")
    if form.get("serviceCode") != PUSH_SERVICE:
        raise InvalidCallback(f"unexpected serviceCode {form.get('serviceCode')!r}")
    msg_data, timestamp = form.get("msgData", ""), form.get("timestamp", "")
    if not same(form.get("msgDigest"), sign(msg_data, timestamp, settings.check_word)):
        raise InvalidCallback("msgDigest does not match")
    sent_at = epoch_millis(timestamp)
    if abs(sent_at - now) > common.CALLBACK_MAX_SKEW:
        raise InvalidCallback(f"timestamp {timestamp} is outside the accepted window")
    push = push_object(msg_data, "msgData")
    routes = (push.get("Body") or {}).get("WaybillRoute") if isinstance(push.get("Body"), dict) else None
    if not isinstance(routes, list) or not routes or not all(isinstance(route, dict) for route in routes):
        raise InvalidCallback("msgData has no Body.WaybillRoute list")
    found = route_result(routes)
    route = found[2] if found else routes[-1]
    tracking_no, event_id = text(route.get("mailno")), route.get("id")
    if not tracking_no or event_id in (None, ""):
        raise InvalidCallback("a route without mailno or id")
    scans = common.tracking_scans([one for one in routes if text(one.get("mailno")) == tracking_no], SCAN_FIELDS, STAGES)
    return CallbackEvent(intercept_id="", tracking_no=tracking_no, result=found[0] if found else None,
                         event_id=str(event_id), occurred_at=_accept_time(route.get("acceptTime"), sent_at),
                         reason_code=found[1] if found else None, message=text(route.get("remark")),
                         scans=tuple(scans))


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    """The route push's published answer: return_code 0000 taken, anything else refused."""
    body = {"return_code": PUSH_OK if accepted else PUSH_REFUSED, "return_msg": "成功" if accepted else message or "rejected"}
    return HttpReply(200 if accepted else 400, compact_json(body))
