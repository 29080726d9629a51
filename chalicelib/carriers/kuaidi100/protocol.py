"""kuaidi100 (快递100), an aggregator, the wire protocol: interception at the carriers it reaches.

Route a carrier through it with `{"yto": {"via": "kuaidi100"}}` in the carrier configuration next
to a `"kuaidi100": {...}` entry with the account (see chalicelib/carriers/__init__.py); which
carriers it reaches, and its company code for each (`Call.company`), is in its declaration.

Published (kuaidi100 document "dianzimiandanlanjie"; SDK kuaidi100-api/java-demo
`request/labelV2/InterceptOrderReq.java`): a form POST to f"{base_url}/label/order" with
`method=interceptOrder`, `key`, `t` (epoch ms), `param` (JSON) and
`sign = UPPER(md5_hex(param + t + key + secret))`. `param`: `orderId`, `kuaidicom`, `kuaidinum`,
`reason`, `interceptType` (RETURN_SEND_STATION back to the sending outlet, RETURN_SEND_ADDR back
to the sender's address, MODIFY_ADDR re-address with `recManInfo`), `orderRole`,
`interceptPayType`, `salt`, `callbackUrl` and the carrier account's fields. The answer is
`{"code": 200, "message", "data": {"taskId", ...}, "time"}`. kuaidi100 publishes no cancel and no
status query for an interception: its result comes only by callback to `callbackUrl`, so the
declaration says it can neither withdraw nor be polled and this module builds neither call.
The tracking query is another service on another host: f"{poll_url}/poll/query.do" with
`customer`, `param` and `sign = UPPER(md5_hex(param + key + customer))`, answering `state` codes.

Modelled, not published: the result push (a form `param=<json>&sign=UPPER(md5_hex(param + salt))`,
the way kuaidi100 signs its tracking pushes with the salt we sent), its statuses and failure codes,
and which non-200 answer codes are faults of our call (units.py).
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlencode

from chalicelib.carriers import common
from chalicelib.carriers.base import (
    CallbackEvent,
    CarrierUnavailable,
    HttpReply,
    InterceptOrder,
    InvalidCallback,
    SubmitOutcome,
    Tracking,
)
from chalicelib.carriers.kuaidi100.units import (
    REASON_CODES,
    RESULTS,
    RETRYABLE_CODES,
    SCAN_STATUSES,
    STAGES,
    SYSTEM_CODES,
    parent_state,
)
from chalicelib.carriers.wire import (
    compact_json,
    form_fields,
    json_object,
    md5_hex_upper,
    push_object,
    same,
    text,
)
from chalicelib.domain.returns import ReturnTo
from chalicelib.domain.stages import ParcelStage

if TYPE_CHECKING:
    from chalicelib.carriers.adapter import Call, WireRequest
    from chalicelib.carriers.kuaidi100.settings import Kuaidi100Settings

INTERCEPT_METHOD = "interceptOrder"
ORDER_PATH = "label/order"
TRACK_PATH = "poll/query.do"
RETURN_TO_SENDER = "RETURN_SEND_ADDR"
RETURN_TO_OUTLET = "RETURN_SEND_STATION"
REDIRECT = "MODIFY_ADDR"
OK_CODE = "200"
CARRIER_REF_FIELD = "taskId"
FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}

ENVELOPE = common.Envelope("kuaidi100", verdict="", code="code", message="message", data="data",
                           system_codes=SYSTEM_CODES, retryable_codes=RETRYABLE_CODES)

PUSH_FIELDS = common.PushFields(event_id="eventId", intercept_id="orderId", tracking_no="kuaidinum",
                                status="interceptStatus", reason="failCode", message="message", timestamp=None)
#: a tracking answer's `data` entries (published: time, context; resultv2=1 adds status, areaName)
SCAN_FIELDS = common.ScanFields(code="status", at="time", text="context", location="areaName")


def sign(param: str, t: str, key: str, secret: str) -> str:
    """UPPER(md5_hex(param + t + key + secret)) for the order API."""
    return md5_hex_upper((param + t + key + secret).encode("utf-8"))


def query_sign(param: str, key: str, customer: str) -> str:
    """UPPER(md5_hex(param + key + customer)) for the tracking query."""
    return md5_hex_upper((param + key + customer).encode("utf-8"))


def push_sign(param: str, salt: str) -> str:
    """UPPER(md5_hex(param + salt)), how kuaidi100 signs its callbacks."""
    return md5_hex_upper((param + salt).encode("utf-8"))


def intercept_payload(order: InterceptOrder, company: str, settings: Kuaidi100Settings) -> dict[str, Any]:
    """`param` of interceptOrder, in the SDK's field order, with the carrier account's fields."""
    payload: dict[str, Any] = {"orderId": order.intercept_id, "kuaidicom": company, "kuaidinum": order.tracking_no,
                               **(order.account or settings.account), "reason": order.reason}
    if order.redirect_to is None:
        payload["interceptType"] = RETURN_TO_OUTLET if order.return_to == ReturnTo.outlet else RETURN_TO_SENDER
    else:
        to = order.redirect_to
        payload.update(interceptType=REDIRECT,
                       recManInfo={"name": to.name, "mobile": to.phone, "printAddr": to.one_line()})
    payload.update(orderRole=settings.order_role, interceptPayType=settings.pay_type, salt=settings.salt,
                   callbackUrl=order.callback_url)
    return payload


def http_request(method: str, payload: dict[str, Any], settings: Kuaidi100Settings, timestamp_ms: int) -> WireRequest:
    param, t = compact_json(payload), str(timestamp_ms)
    form = {"method": method, "key": settings.key, "t": t, "param": param, "sign": sign(param, t, settings.key, settings.secret)}
    return f"{settings.base_url.rstrip('/')}/{ORDER_PATH}", urlencode(form).encode("ascii"), FORM


def intercept_request(order: InterceptOrder, settings: Kuaidi100Settings, call: Call) -> WireRequest:
    return http_request(INTERCEPT_METHOD, intercept_payload(order, call.company, settings), settings, call.now_ms)


def track_request(tracking_no: str, settings: Kuaidi100Settings, call: Call) -> WireRequest:
    """The tracking query is another service on its own host, signed with the customer id."""
    param = compact_json({"com": call.company, "num": tracking_no, "resultv2": "1"})
    form = {"customer": settings.customer, "param": param, "sign": query_sign(param, settings.key, settings.customer)}
    host = settings.poll_url or settings.base_url
    return f"{host.rstrip('/')}/{TRACK_PATH}", urlencode(form).encode("ascii"), FORM


def read_answer(status: int, body: bytes) -> common.Answer:
    """`{"code": 200, "message", "data", "time"}`: 200 (a number, or its digits) is success; any other
    code is a refusal, or a fault of our call when it is a system code (units.py)."""
    if not 200 <= status < 300:
        raise CarrierUnavailable(f"kuaidi100 answered HTTP {status}: {body[:200]!r}")
    reply = json_object(body)
    code = reply.get("code") if reply is not None else None
    if isinstance(code, bool) or not isinstance(code, (int, str)) or not str(code).strip():
        raise CarrierUnavailable(f"kuaidi100 answered an unreadable body: {body[:200]!r}")
    code = str(code).strip()
    message = text(reply.get("message")) or ""
    if code != OK_CODE:
        common.raise_system_fault(ENVELOPE, code, message)
    data = reply.get("data")
    return common.Answer(code == OK_CODE, code, message, data if isinstance(data, dict) else {})


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    return common.submit_outcome(read_answer(status, body), REASON_CODES, CARRIER_REF_FIELD)


def parse_track_response(status: int, body: bytes) -> Tracking:
    """The tracking query's own shape: `{"status": "200", "state": "0", "data": [...]}`; the parcel's
    stage is the answer's `state`, each scan's the `status` text resultv2 adds to it."""
    if not 200 <= status < 300:
        raise CarrierUnavailable(f"kuaidi100 answered HTTP {status}: {body[:200]!r}")
    reply = json_object(body)
    if reply is None or str(reply.get("status") or "") != OK_CODE:
        raise CarrierUnavailable(f"kuaidi100 tracking query failed: {body[:200]!r}")
    state = str(reply.get("state") or "")
    return Tracking(STAGES.get(state) or STAGES.get(parent_state(state), ParcelStage.unknown),
                    tuple(common.tracking_scans(reply.get("data"), SCAN_FIELDS, SCAN_STATUSES)))


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: Kuaidi100Settings) -> CallbackEvent:
    """kuaidi100's push has no timestamp and no push id: the event id is the order and its status,
    so a repeated push of one result is a duplicate while a new status is a new event."""
    form = form_fields(body)
    param = form.get("param", "")
    if not same(form.get("sign"), push_sign(param, settings.salt)):
        raise InvalidCallback("sign does not match")
    push = push_object(param, "param")
    push["eventId"] = f"{text(push.get('orderId')) or ''}:{text(push.get('interceptStatus')) or ''}"
    return common.callback_event(push, PUSH_FIELDS, RESULTS, REASON_CODES, now)


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    """Answered as kuaidi100 asks its pushes to be (modelled on its tracking push's ack)."""
    body = {"result": accepted, "returnCode": OK_CODE if accepted else "500",
            "message": message or ("成功" if accepted else "失败")}
    return HttpReply(200 if accepted else 400, compact_json(body))
