"""J&T (极兔) express, the wire protocol: signing, requests, answers, result pushes and their ack.

Published (J&T open platform, `/webopenplatformapi/api/...`; SDK com.yl.jms.sdk): a form POST of
`bizContent=<json>` to f"{base_url}/{path}" with headers `apiAccount`, `timestamp` (epoch ms) and
`digest = base64(md5_raw(bizContent + privateKey))`. Every bizContent of the order family
(addOrder, cancelOrder, ... and the interception calls modelled on them) also carries the
merchant's `customerCode` and the business `digest = base64(md5_raw(customerCode +
UPPER(md5_hex(password + "jadada236t2")) + privateKey))`, from the merchant's own account where
the order carries one, else from the settings. Replies are JSON `{"code": "1" on
success, "msg": str, "data": {...}}`. The tracking path `api/logistics/trace` is published.

J&T publishes no interception API: its paths, push and codes are modelled, each in one constant
(its codes in units.py).
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlencode

from chalicelib.carriers import common
from chalicelib.carriers.base import (
    CallbackEvent,
    CancelOutcome,
    CarrierAccountFault,
    CarrierUnavailable,
    HttpReply,
    InterceptOrder,
    InvalidCallback,
    SubmitOutcome,
    Tracking,
)
from chalicelib.carriers.jt.units import REASON_CODES, RESULTS, STAGES, SYSTEM_CODES
from chalicelib.carriers.wire import (
    compact_json,
    form_fields,
    json_object,
    lower_keys,
    md5_base64,
    md5_hex_upper,
    push_object,
    same,
    text,
)

if TYPE_CHECKING:
    from chalicelib.carriers.adapter import Call, WireRequest
    from chalicelib.carriers.jt.settings import JtSettings

INTERCEPT_PATH = "api/intercept/apply"
CANCEL_PATH = "api/intercept/cancel"
QUERY_PATH = "api/intercept/query"
TRACK_PATH = "api/logistics/trace"
SUCCESS_CODE = "1"
#: the constant J&T salts the customer's password with before it enters the business digest
PASSWORD_SALT = "jadada236t2"
CARRIER_REF_FIELD = "interceptNo"
#: the reason an interception is refused without a call: no customer account to carry
ACCOUNT_MISSING = "carrier_account_missing"

PUSH_FIELDS = common.PushFields(event_id="pushId", intercept_id="txlogisticId", tracking_no="billCode",
                                status="interceptStatus", reason="failCode", message="remark",
                                timestamp="pushTime")
#: the scans of a tracking answer (modelled)
SCAN_FIELDS = common.ScanFields(code="scanType", at="scanTime", text="desc", location="scanNetworkName")


def sign(biz_content: str, private_key: str) -> str:
    """base64(md5_raw(bizContent + privateKey)), the `digest` header."""
    return md5_base64((biz_content + private_key).encode("utf-8"))


def business_digest(customer_code: str, password: str, private_key: str) -> str:
    """base64(md5_raw(customerCode + UPPER(md5_hex(password + "jadada236t2")) + privateKey)), the
    `digest` inside bizContent that proves the customer account."""
    cipher = md5_hex_upper((password + PASSWORD_SALT).encode("utf-8"))
    return md5_base64((customer_code + cipher + private_key).encode("utf-8"))


def customer(order: InterceptOrder, settings: JtSettings) -> dict[str, str]:
    """The customer account's part of every order-family bizContent: the merchant's own account
    where the order carries one, else the platform-level settings'; neither is our account's fault."""
    account = order.account or {"customerCode": settings.customer_code, "password": settings.password}
    if not (account.get("customerCode") and account.get("password")):
        raise CarrierAccountFault("no J&T customer account (customerCode and password) of the merchant's",
                                  ACCOUNT_MISSING)
    return {"customerCode": account["customerCode"],
            "digest": business_digest(account["customerCode"], account["password"], settings.private_key)}


def intercept_payload(order: InterceptOrder, settings: JtSettings) -> dict[str, Any]:
    if order.redirect_to is not None:
        raise ValueError("J&T interception returns to the sender only; redirect is not offered")
    return {**customer(order, settings), "billCode": order.tracking_no, "txlogisticId": order.intercept_id,
            "interceptType": "1", "reason": order.reason, "callbackUrl": order.callback_url}


def order_payload(order: InterceptOrder, settings: JtSettings) -> dict[str, Any]:
    """Cancel and query name the instruction the same way."""
    return {**customer(order, settings), "billCode": order.tracking_no, "txlogisticId": order.intercept_id}


def http_request(path: str, payload: dict[str, Any], settings: JtSettings, timestamp_ms: int) -> WireRequest:
    biz_content = compact_json(payload)
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
               "apiAccount": settings.api_account, "digest": sign(biz_content, settings.private_key),
               "timestamp": str(timestamp_ms)}
    return f"{settings.base_url.rstrip('/')}/{path}", urlencode({"bizContent": biz_content}).encode("ascii"), headers


def intercept_request(order: InterceptOrder, settings: JtSettings, call: Call) -> WireRequest:
    return http_request(INTERCEPT_PATH, intercept_payload(order, settings), settings, call.now_ms)


def cancel_request(order: InterceptOrder, settings: JtSettings, call: Call) -> WireRequest:
    return http_request(CANCEL_PATH, order_payload(order, settings), settings, call.now_ms)


def query_request(order: InterceptOrder, settings: JtSettings, call: Call) -> WireRequest:
    return http_request(QUERY_PATH, order_payload(order, settings), settings, call.now_ms)


def track_request(tracking_no: str, settings: JtSettings, call: Call) -> WireRequest:
    return http_request(TRACK_PATH, {"billCodes": tracking_no}, settings, call.now_ms)


def read_answer(status: int, body: bytes) -> common.Answer:
    """J&T's envelope has no verdict flag: `code` is "1" on success, and its system codes are
    faults whatever else the reply says."""
    if not 200 <= status < 300:
        raise CarrierUnavailable(f"J&T answered HTTP {status}: {body[:200]!r}")
    reply = json_object(body)
    if reply is None or not isinstance(reply.get("code"), (str, int)) or isinstance(reply.get("code"), bool):
        raise CarrierUnavailable(f"J&T answered an unreadable body: {body[:200]!r}")
    code = str(reply["code"])
    message = text(reply.get("msg")) or ""
    if code in SYSTEM_CODES:
        raise CarrierUnavailable(f"J&T refused the call with {code} ({SYSTEM_CODES[code]}): {message}")
    data = reply.get("data")
    return common.Answer(code == SUCCESS_CODE, code, message, data if isinstance(data, dict) else {})


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    return common.submit_outcome(read_answer(status, body), REASON_CODES, CARRIER_REF_FIELD)


def parse_cancel_response(status: int, body: bytes) -> CancelOutcome:
    return common.cancel_outcome(read_answer(status, body), REASON_CODES)


def parse_query_response(status: int, body: bytes) -> SubmitOutcome:
    return common.query_outcome(read_answer(status, body), "interceptStatus", "failCode", RESULTS, REASON_CODES)


def parse_track_response(status: int, body: bytes) -> Tracking:
    return common.tracking_of(read_answer(status, body), "details", SCAN_FIELDS, STAGES)


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: JtSettings) -> CallbackEvent:
    lowered = lower_keys(headers)
    if lowered.get("apiaccount") != settings.api_account:
        raise InvalidCallback("unknown or missing apiAccount")
    form = form_fields(body)
    biz_content = form.get("bizContent", "")
    if not same(lowered.get("digest"), sign(biz_content, settings.private_key)):
        raise InvalidCallback("digest does not match")
    push = push_object(biz_content, "bizContent")
    return common.callback_event(push, PUSH_FIELDS, RESULTS, REASON_CODES, now)


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    body = {"code": SUCCESS_CODE if accepted else "0", "msg": message or ("success" if accepted else "rejected"),
            "data": None}
    return HttpReply(200 if accepted else 400, compact_json(body))
