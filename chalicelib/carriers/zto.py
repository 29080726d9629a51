"""ZTO (中通) express: intercept requests, their answers, result callbacks and tracking codes.

Wire protocol (carriers.md): JSON POSTed to f"{base_url}/{INTERCEPT_METHOD}" with headers
`x-appKey`, `x-companyid` and `x-datadigest = base64(md5_raw(body + appSecret))` over the exact
UTF-8 body bytes. Answers look like `{"status": bool, "statusCode": str, "message": str,
"result": {...}}`. Results arrive later as callbacks signed the same way.

ZTO's intercept method name and business codes are not public: they are modelled here, each in
one constant or dict, so the real contract replaces them in one place.

Pure functions first (no I/O), the adapter class that glues them to HTTP last.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Mapping

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
from chalicelib.carriers.wire import compact_json, json_object, lower_keys, md5_base64, same, text
from chalicelib.domain.stages import ParcelStage

if TYPE_CHECKING:
    from chalicelib.carriers.http import CarrierHttp

INTERCEPT_METHOD = "zto.open.intercept.apply"
CANCEL_METHOD = "zto.open.intercept.cancel"
QUERY_METHOD = "zto.open.intercept.query"
TRACK_METHOD = "zto.open.trace.query"
INTERCEPT_TYPE_RETURN_TO_SENDER = "RETURN_TO_SENDER"
CARRIER_REF_FIELD = "interceptNo"

#: A callback whose timestamp is further than this from our clock is refused (replay guard).
CALLBACK_MAX_SKEW = timedelta(minutes=10)

#: ZTO system codes ("S" + digits): faults in our request or account, never a verdict on the parcel.
_SYSTEM_CODE = re.compile(r"S\d+")
SYSTEM_ERRORS: dict[str, str] = {
    "S206": "rate limited",
    "S207": "no such API method",
    "S208": "missing parameter",
    "S210": "app key not bound to the company",
    "S211": "bad signature",
}

#: ZTO business codes (synchronous refusals and callback reasonCode) -> our reason codes.
REASON_CODES: dict[str, str] = {
    "SIGNED": "parcel_signed",
    "DISPATCHED": "parcel_out_for_delivery",
    "ALREADY_INTERCEPTED": "already_intercepted",
    "RETURNING": "parcel_returning",
    "NOT_PICKED_UP": "parcel_not_picked_up",
    "NOT_FOUND": "intercept_not_found",
}
#: Our reason code for a refusal whose ZTO code is not in REASON_CODES.
UNMAPPED_REFUSAL = "carrier_refused"

#: Callback `status` -> unified result.
CALLBACK_RESULTS: dict[str, CarrierResult] = {
    "ACCEPTED": CarrierResult.accepted,
    "INTERCEPT_SUCCESS": CarrierResult.intercepted,
    "INTERCEPT_FAIL": CarrierResult.failed,
    "RETURN_SIGNED": CarrierResult.returned,
}

#: Tracking scan types -> unified parcel stage.
SCAN_STAGES: dict[str, ParcelStage] = {
    "GOT": ParcelStage.picked_up,                   # 收件
    "DEPARTURE": ParcelStage.in_transit,            # 发件
    "ARRIVAL": ParcelStage.in_transit,              # 到件
    "OUTLET_ARRIVAL": ParcelStage.at_destination_outlet,  # 到达派件网点
    "DISPATCH": ParcelStage.out_for_delivery,       # 派件
    "STATION": ParcelStage.in_locker,               # 代收点 / 快递柜入库
    "SIGNED": ParcelStage.signed,                   # 签收
    "PROBLEM": ParcelStage.problem,                 # 问题件
    "RETURN": ParcelStage.returning,                # 退件
    "RETURN_SIGNED": ParcelStage.returned,          # 退件签收
}

_REQUIRED_CALLBACK_TEXT_FIELDS = ("eventId", "orderId", "billCode", "status")


@dataclass(frozen=True)
class ZtoSettings:
    base_url: str
    app_key: str
    app_secret: str
    company_id: str


def sign(body: bytes, secret: str) -> str:
    """base64(md5_raw(body + secret)), the value of `x-datadigest`."""
    return md5_base64(body + secret.encode("utf-8"))


def intercept_url(settings: ZtoSettings) -> str:
    return method_url(INTERCEPT_METHOD, settings)


def method_url(method: str, settings: ZtoSettings) -> str:
    return f"{settings.base_url.rstrip('/')}/{method}"


def request_headers(body: bytes, settings: ZtoSettings) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "x-appKey": settings.app_key,
        "x-companyid": settings.company_id,
        "x-datadigest": sign(body, settings.app_secret),
    }


def intercept_request(order: InterceptOrder, settings: ZtoSettings) -> bytes:
    """The exact body bytes to sign and send (settings kept for the karrio-style signature)."""
    if order.redirect_to is not None:
        raise ValueError("ZTO interception returns to the sender only; redirect is not offered")
    return _json_bytes({
        "billCode": order.tracking_no,
        "orderId": order.intercept_id,
        "interceptType": INTERCEPT_TYPE_RETURN_TO_SENDER,
        "reason": order.reason,
        "callbackUrl": order.callback_url,
    })


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    """Turn ZTO's answer into an outcome; anything that is not a verdict on the parcel raises.

    System codes (rate limit, bad signature, unbound account, ...) raise CarrierUnavailable so the
    dispatch retries and then flags the intercept, rather than recording a carrier refusal.
    """
    if not 200 <= status < 300:
        raise CarrierUnavailable(f"ZTO answered HTTP {status}: {body[:200]!r}")
    reply = json_object(body)
    if reply is None or not isinstance(reply.get("status"), bool):
        raise CarrierUnavailable(f"ZTO answered an unreadable body: {body[:200]!r}")
    message = text(reply.get("message"))
    if reply["status"]:
        result = reply.get("result")
        carrier_ref = text(result.get(CARRIER_REF_FIELD)) if isinstance(result, dict) else None
        return SubmitOutcome(CarrierResult.accepted, carrier_ref=carrier_ref, message=message)
    code = text(reply.get("statusCode")) or ""
    if _SYSTEM_CODE.fullmatch(code):
        meaning = SYSTEM_ERRORS.get(code, "system error")
        raise CarrierUnavailable(f"ZTO refused the call with {code} ({meaning}): {message}")
    reason_code = REASON_CODES.get(code, UNMAPPED_REFUSAL)
    return SubmitOutcome(
        CarrierResult.failed, reason_code=reason_code, message=f"{code or 'no code'}: {message or ''}"
    )


def order_request(order: InterceptOrder) -> bytes:
    """Cancel and query name the instruction the same way."""
    payload = {"billCode": order.tracking_no, "orderId": order.intercept_id}
    if order.carrier_ref:
        payload[CARRIER_REF_FIELD] = order.carrier_ref
    return _json_bytes(payload)


def track_request(tracking_no: str) -> bytes:
    return _json_bytes({"billCode": tracking_no})


def read_answer(status: int, body: bytes) -> common.Answer:
    """Any ZTO reply as an Answer; system codes and unreadable replies raise CarrierUnavailable."""
    if not 200 <= status < 300:
        raise CarrierUnavailable(f"ZTO answered HTTP {status}: {body[:200]!r}")
    reply = json_object(body)
    if reply is None or not isinstance(reply.get("status"), bool):
        raise CarrierUnavailable(f"ZTO answered an unreadable body: {body[:200]!r}")
    code = text(reply.get("statusCode")) or ""
    message = text(reply.get("message")) or ""
    if not reply["status"] and _SYSTEM_CODE.fullmatch(code):
        raise CarrierUnavailable(f"ZTO refused the call with {code} ({SYSTEM_ERRORS.get(code, 'system error')}): {message}")
    result = reply.get("result")
    return common.Answer(reply["status"], code, message, result if isinstance(result, dict) else {})


def parse_cancel_response(status: int, body: bytes) -> CancelOutcome:
    return common.cancel_outcome(read_answer(status, body), REASON_CODES)


def parse_query_response(status: int, body: bytes) -> SubmitOutcome:
    """`result.status` uses the callback statuses (ACCEPTED while ZTO is still working on it)."""
    return common.query_outcome(read_answer(status, body), "status", "reasonCode", CALLBACK_RESULTS, REASON_CODES)


def parse_track_response(status: int, body: bytes) -> ParcelStage:
    return common.latest_stage(read_answer(status, body), "traces", "scanType", SCAN_STAGES)


def parse_callback(
    headers: Mapping[str, str], body: bytes, now: datetime, settings: ZtoSettings
) -> CallbackEvent:
    """Verify (app key, digest, timestamp window) and parse a result push. Raises InvalidCallback.

    `now` must be timezone-aware.
    """
    lowered = lower_keys(headers)
    if lowered.get("x-appkey") != settings.app_key:
        raise InvalidCallback("unknown or missing x-appKey")
    digest = lowered.get("x-datadigest")
    if not digest:
        raise InvalidCallback("missing x-datadigest")
    expected = sign(body, settings.app_secret)
    if not same(digest, expected):
        raise InvalidCallback("x-datadigest does not match the body")

    push = json_object(body)
    if push is None:
        raise InvalidCallback("body is not a JSON object")
    missing = [name for name in _REQUIRED_CALLBACK_TEXT_FIELDS if not text(push.get(name))]
    if missing:
        raise InvalidCallback(f"missing fields: {', '.join(missing)}")
    occurred_at = _epoch_millis(push.get("timestamp"))
    if abs(occurred_at - now) > CALLBACK_MAX_SKEW:
        raise InvalidCallback(f"timestamp {occurred_at.isoformat()} is outside the accepted window")
    result = CALLBACK_RESULTS.get(push["status"])
    if result is None:
        raise InvalidCallback(f"unknown status {push['status']!r}")
    zto_reason = text(push.get("reasonCode"))
    return CallbackEvent(
        intercept_id=push["orderId"],
        tracking_no=push["billCode"],
        result=result,
        event_id=push["eventId"],
        occurred_at=occurred_at,
        reason_code=REASON_CODES.get(zto_reason, UNMAPPED_REFUSAL) if zto_reason else None,
        message=text(push.get("message")),
    )


def ack_body(accepted: bool, message: str = "") -> str:
    """The acknowledgement ZTO expects for a push (`status false` makes it push again)."""
    if accepted:
        return compact_json({"status": True, "message": message or "success", "statusCode": "0"})
    return compact_json({"status": False, "message": message or "rejected"})


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    """200 when accepted, 400 otherwise (the route picks 401 itself for signature failures)."""
    return HttpReply(200 if accepted else 400, ack_body(accepted, message))


def stage_from_code(code: str) -> ParcelStage:
    return SCAN_STAGES.get(code, ParcelStage.unknown)


def _json_bytes(payload: dict[str, Any]) -> bytes:
    """ZTO signs and receives the exact UTF-8 bytes of the body."""
    return compact_json(payload).encode("utf-8")


def _epoch_millis(value: object) -> datetime:
    """Stricter than `wire.epoch_millis`: ZTO's JSON push carries the timestamp as a number, so a
    digit string is refused rather than read."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidCallback("timestamp must be epoch milliseconds (an integer)")
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise InvalidCallback(f"timestamp {value} is out of range") from error


class ZtoAdapter:
    """Glues the pure ZTO functions to the shared HTTP layer."""

    code = "zto"
    can_redirect = False

    def __init__(self, settings: ZtoSettings, http: CarrierHttp) -> None:
        self._settings = settings
        self._http = http

    def _call(self, method: str, body: bytes) -> tuple[int, bytes]:
        return self._http.post(method_url(method, self._settings), data=body,
                               headers=request_headers(body, self._settings))

    def submit_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        return parse_intercept_response(*self._call(INTERCEPT_METHOD, intercept_request(order, self._settings)))

    def cancel_intercept(self, order: InterceptOrder) -> CancelOutcome:
        return parse_cancel_response(*self._call(CANCEL_METHOD, order_request(order)))

    def query_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        return parse_query_response(*self._call(QUERY_METHOD, order_request(order)))

    def query_stage(self, tracking_no: str) -> ParcelStage:
        return parse_track_response(*self._call(TRACK_METHOD, track_request(tracking_no)))

    def parse_callback(self, headers: Mapping[str, str], body: bytes, now: datetime) -> CallbackEvent:
        return parse_callback(headers, body, now, self._settings)

    def callback_ack(self, accepted: bool, message: str = "") -> HttpReply:
        return callback_ack(accepted, message)
