"""ZTO (中通) express, the wire protocol: signing, requests, answers, result pushes and their ack.

Published (ZTO open platform): JSON POSTed to f"{base_url}/{method}" with headers `x-appKey`,
`x-companyid` and `x-datadigest = base64(md5_raw(body + appSecret))` over the exact UTF-8 body
bytes; answers `{"status": bool, "statusCode": str, "message": str, "result": {...}}`, whose
system codes S2xx and permission codes E4xx are faults of our call, never a verdict on the parcel
(rate limits are retried, the rest set the intercept `needs_attention` with the code). ZTO's
pushes are form bodies `data` (JSON), `data_digest = base64(md5_raw(data + appSecret))`,
`company_id`, `msg_type`. Tracking actions are the published ones (units.py).

ZTO publishes no interception API: the method names, the push's `msg_type` for a result and
its fields are modelled, each in one constant, so the real contract replaces them in one place.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping

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
from chalicelib.carriers.zto.units import (
    REASON_CODES,
    RESULTS,
    RETRYABLE_CODES,
    STAGES,
    SYSTEM_CODE,
    SYSTEM_CODES,
)

if TYPE_CHECKING:
    from chalicelib.carriers.adapter import Call, WireRequest
    from chalicelib.carriers.zto.settings import ZtoSettings

INTERCEPT_METHOD = "zto.open.intercept.apply"
CANCEL_METHOD = "zto.open.intercept.cancel"
QUERY_METHOD = "zto.open.intercept.query"
TRACK_METHOD = "zto.open.trace.query"
INTERCEPT_TYPE_RETURN_TO_SENDER = "RETURN_TO_SENDER"
CARRIER_REF_FIELD = "interceptNo"
PUSH_MSG_TYPE = "INTERCEPT_RESULT"

ENVELOPE = common.Envelope("ZTO", verdict="status", code="statusCode", message="message", data="result",
                           system_codes=SYSTEM_CODES, system_code_pattern=SYSTEM_CODE,
                           retryable_codes=RETRYABLE_CODES)

PUSH_FIELDS = common.PushFields(event_id="eventId", intercept_id="orderId", tracking_no="billCode",
                                status="status", reason="reasonCode", message="message", timestamp="timestamp",
                                integer_timestamp=True)
#: the scans of a tracking answer (modelled)
SCAN_FIELDS = common.ScanFields(code="action", at="scanDate", text="desc", location="scanSite")


def sign(body: bytes, secret: str) -> str:
    """base64(md5_raw(body + secret)), the value of `x-datadigest`."""
    return md5_base64(body + secret.encode("utf-8"))


def method_url(method: str, settings: ZtoSettings) -> str:
    return f"{settings.base_url.rstrip('/')}/{method}"


def request_headers(body: bytes, settings: ZtoSettings) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "x-appKey": settings.app_key,
        "x-companyid": settings.company_id,
        "x-datadigest": sign(body, settings.app_secret),
    }


def http_request(method: str, payload: dict[str, Any], settings: ZtoSettings) -> WireRequest:
    """ZTO signs and receives the exact UTF-8 bytes of the body."""
    body = compact_json(payload).encode("utf-8")
    return method_url(method, settings), body, request_headers(body, settings)


def intercept_payload(order: InterceptOrder) -> dict[str, Any]:
    if order.redirect_to is not None:
        raise ValueError("ZTO interception returns to the sender only; redirect is not offered")
    return {
        "billCode": order.tracking_no,
        "orderId": order.intercept_id,
        "interceptType": INTERCEPT_TYPE_RETURN_TO_SENDER,
        "reason": order.reason,
        "callbackUrl": order.callback_url,
    }


def order_payload(order: InterceptOrder) -> dict[str, Any]:
    """Cancel and query name the instruction the same way."""
    payload = {"billCode": order.tracking_no, "orderId": order.intercept_id}
    if order.carrier_ref:
        payload[CARRIER_REF_FIELD] = order.carrier_ref
    return payload


def intercept_request(order: InterceptOrder, settings: ZtoSettings, call: Call) -> WireRequest:
    return http_request(INTERCEPT_METHOD, intercept_payload(order), settings)


def cancel_request(order: InterceptOrder, settings: ZtoSettings, call: Call) -> WireRequest:
    return http_request(CANCEL_METHOD, order_payload(order), settings)


def query_request(order: InterceptOrder, settings: ZtoSettings, call: Call) -> WireRequest:
    return http_request(QUERY_METHOD, order_payload(order), settings)


def track_request(tracking_no: str, settings: ZtoSettings, call: Call) -> WireRequest:
    return http_request(TRACK_METHOD, {"billCode": tracking_no}, settings)


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    """Turn ZTO's answer into an outcome; anything that is not a verdict on the parcel raises.

    System codes (rate limit, bad signature, unbound account, ...) raise CarrierUnavailable so the
    dispatch retries and then flags the intercept, rather than recording a carrier refusal.
    """
    return common.submit_outcome(common.read_answer(status, body, ENVELOPE), REASON_CODES, CARRIER_REF_FIELD)


def parse_cancel_response(status: int, body: bytes) -> CancelOutcome:
    return common.cancel_outcome(common.read_answer(status, body, ENVELOPE), REASON_CODES)


def parse_query_response(status: int, body: bytes) -> SubmitOutcome:
    """`result.status` uses the push statuses (ACCEPTED while ZTO is still working on it)."""
    return common.query_outcome(common.read_answer(status, body, ENVELOPE), "status", "reasonCode", RESULTS,
                                REASON_CODES)


def parse_track_response(status: int, body: bytes) -> Tracking:
    return common.tracking_of(common.read_answer(status, body, ENVELOPE), "traces", SCAN_FIELDS, STAGES)


def push_sign(data: str, secret: str) -> str:
    """data_digest = base64(md5_raw(data + appSecret)), over the `data` field as received."""
    return sign(data.encode("utf-8"), secret)


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: ZtoSettings) -> CallbackEvent:
    """Verify (company, digest, message type, timestamp window) and parse a result push, a form of
    `data`, `data_digest`, `company_id`, `msg_type`. Raises InvalidCallback. `now` is timezone-aware.
    """
    form = form_fields(body)
    if form.get("company_id") != settings.company_id:
        raise InvalidCallback("unknown or missing company_id")
    data = form.get("data", "")
    if not form.get("data_digest"):
        raise InvalidCallback("missing data_digest")
    if not same(form.get("data_digest"), push_sign(data, settings.app_secret)):
        raise InvalidCallback("data_digest does not match data")
    if form.get("msg_type") != PUSH_MSG_TYPE:
        raise InvalidCallback(f"unexpected msg_type {form.get('msg_type')!r}")
    push = push_object(data, "data")
    return common.callback_event(push, PUSH_FIELDS, RESULTS, REASON_CODES, now)


def ack_body(accepted: bool, message: str = "") -> str:
    """The acknowledgement ZTO expects for a push (`status false` makes it push again)."""
    if accepted:
        return compact_json({"status": True, "message": message or "success", "statusCode": "0"})
    return compact_json({"status": False, "message": message or "rejected"})


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    """200 when accepted, 400 otherwise (the route picks 401 itself for signature failures)."""
    return HttpReply(200 if accepted else 400, ack_body(accepted, message))
