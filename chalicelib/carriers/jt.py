"""J&T (极兔) express: interception, its cancel and status query, tracking, and result pushes.

Wire protocol (J&T open platform's published envelope): a form POST of `bizContent=<json>` to
f"{base_url}/{method path}" with headers `apiAccount`, `timestamp` (epoch ms) and
`digest = base64(md5_raw(bizContent + privateKey))`. Replies are JSON `{"code": "1" on success,
"msg": str, "data": {...}}`. Result pushes arrive the same way (form `bizContent`, same headers).

J&T's interception paths and business codes are not public: each lives in one constant or dict.
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
from chalicelib.carriers.wire import compact_json, form_fields, json_object, lower_keys, md5_base64, same, text
from chalicelib.domain.stages import ParcelStage

if TYPE_CHECKING:
    from chalicelib.carriers.http import CarrierHttp

INTERCEPT_PATH = "api/intercept/apply"
CANCEL_PATH = "api/intercept/cancel"
QUERY_PATH = "api/intercept/query"
TRACK_PATH = "api/logistics/trace"
SUCCESS_CODE = "1"
CARRIER_REF_FIELD = "interceptNo"

SYSTEM_CODES: dict[str, str] = {
    "145003050": "bad digest",
    "145003052": "unknown apiAccount",
    "145003053": "missing parameter",
    "145003030": "rate limited",
}

REASON_CODES: dict[str, str] = {
    "999001": "parcel_signed",
    "999002": "parcel_out_for_delivery",
    "999003": "already_intercepted",
    "999004": "parcel_returning",
    "999005": "parcel_not_picked_up",
    "999006": "intercept_not_found",
}

RESULTS: dict[str, CarrierResult] = {
    "10": CarrierResult.accepted,     # 拦截中
    "20": CarrierResult.intercepted,  # 拦截成功
    "30": CarrierResult.failed,       # 拦截失败
    "40": CarrierResult.returned,     # 退件签收
}

#: Trace `scanType` -> unified parcel stage.
STAGES: dict[str, ParcelStage] = {
    "快件揽收": ParcelStage.picked_up,
    "发件扫描": ParcelStage.in_transit,
    "到件扫描": ParcelStage.in_transit,
    "网点到件扫描": ParcelStage.at_destination_outlet,
    "出仓扫描": ParcelStage.out_for_delivery,
    "入库扫描": ParcelStage.in_locker,
    "快件签收": ParcelStage.signed,
    "问题件扫描": ParcelStage.problem,
    "退件扫描": ParcelStage.returning,
}

PUSH_FIELDS = common.PushFields(event_id="pushId", intercept_id="txlogisticId", tracking_no="billCode",
                                status="interceptStatus", reason="failCode", message="remark",
                                timestamp="pushTime")


@dataclass(frozen=True)
class JtSettings:
    base_url: str
    api_account: str
    private_key: str
    customer_code: str


def sign(biz_content: str, private_key: str) -> str:
    """base64(md5_raw(bizContent + privateKey)), the `digest` header."""
    return md5_base64((biz_content + private_key).encode("utf-8"))


def now_ms() -> int:
    return int(time.time() * 1000)


def intercept_payload(order: InterceptOrder, settings: JtSettings) -> dict[str, Any]:
    if order.redirect_to is not None:
        raise ValueError("J&T interception returns to the sender only; redirect is not offered")
    return {"customerCode": settings.customer_code, "billCode": order.tracking_no,
            "txlogisticId": order.intercept_id, "interceptType": "1", "reason": order.reason,
            "callbackUrl": order.callback_url}


def order_payload(order: InterceptOrder, settings: JtSettings) -> dict[str, Any]:
    return {"customerCode": settings.customer_code, "billCode": order.tracking_no, "txlogisticId": order.intercept_id}


def track_payload(tracking_no: str) -> dict[str, Any]:
    return {"billCodes": tracking_no}


def http_request(path: str, payload: dict[str, Any], settings: JtSettings, timestamp_ms: int) -> tuple[str, bytes, dict]:
    biz_content = compact_json(payload)
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
               "apiAccount": settings.api_account, "digest": sign(biz_content, settings.private_key),
               "timestamp": str(timestamp_ms)}
    return f"{settings.base_url.rstrip('/')}/{path}", urlencode({"bizContent": biz_content}).encode("ascii"), headers


def read_answer(status: int, body: bytes) -> common.Answer:
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


def parse_track_response(status: int, body: bytes) -> ParcelStage:
    return common.latest_stage(read_answer(status, body), "details", "scanType", STAGES)


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: JtSettings) -> CallbackEvent:
    lowered = lower_keys(headers)
    if lowered.get("apiaccount") != settings.api_account:
        raise InvalidCallback("unknown or missing apiAccount")
    form = form_fields(body)
    biz_content = form.get("bizContent", "")
    if not same(lowered.get("digest"), sign(biz_content, settings.private_key)):
        raise InvalidCallback("digest does not match")
    push = json_object(biz_content)
    if push is None:
        raise InvalidCallback("bizContent is not a JSON object")
    return common.callback_event(push, PUSH_FIELDS, RESULTS, REASON_CODES, now)


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    body = {"code": SUCCESS_CODE if accepted else "0", "msg": message or ("success" if accepted else "rejected"),
            "data": None}
    return HttpReply(200 if accepted else 400, compact_json(body))


class JtAdapter:
    code = "jt"
    can_redirect = False

    def __init__(self, settings: JtSettings, http: CarrierHttp, clock_ms: Callable[[], int] | None = None) -> None:
        self._settings = settings
        self._http = http
        self._clock_ms = clock_ms or now_ms

    def _call(self, path: str, payload: dict[str, Any]) -> tuple[int, bytes]:
        url, body, headers = http_request(path, payload, self._settings, self._clock_ms())
        return self._http.post(url, data=body, headers=headers)

    def submit_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        return parse_intercept_response(*self._call(INTERCEPT_PATH, intercept_payload(order, self._settings)))

    def cancel_intercept(self, order: InterceptOrder) -> CancelOutcome:
        return parse_cancel_response(*self._call(CANCEL_PATH, order_payload(order, self._settings)))

    def query_intercept(self, order: InterceptOrder) -> SubmitOutcome:
        return parse_query_response(*self._call(QUERY_PATH, order_payload(order, self._settings)))

    def query_stage(self, tracking_no: str) -> ParcelStage:
        return parse_track_response(*self._call(TRACK_PATH, track_payload(tracking_no)))

    def parse_callback(self, headers: Mapping[str, str], body: bytes, now: datetime) -> CallbackEvent:
        return parse_callback(headers, body, now, self._settings)

    def callback_ack(self, accepted: bool, message: str = "") -> HttpReply:
        return callback_ack(accepted, message)
