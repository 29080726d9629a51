"""jumdata (聚美智数), an interception aggregator, the wire protocol.

Published (jumdata's documents on showdoc, jumdata 11484298394968332 for the interception service
and its common conventions): a form POST carrying the common parameters `appId`, `timestamp`
(epoch ms) and `sign = sha256_hex(appId + appSecret + timestamp)` with the business parameters;
the interception takes `operationType` (1 back to the origin outlet, 2 back to the sender, 4
redirect) and the merchant's own carrier credentials (`customerCode`, `customerPsw`,
`customerSiteCode`); every answer carries a `taskNo`; a result query answers `InterceptStatus`.
It reaches Yunda, EMS, Debang and the other carriers it lists.

Modelled: the paths, the names of the carrier, waybill, reason and new-address fields, the answer
envelope `{code, msg, taskNo, data}` with `code` 200 for success, the InterceptStatus values, the
refusal and system codes, and the tracking query. jumdata publishes no cancel and no push: the
declaration says it cannot withdraw and its results come by polling.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import urlencode

from chalicelib.carriers import common
from chalicelib.carriers.base import (
    CallbackEvent,
    CarrierAccountFault,
    HttpReply,
    InterceptOrder,
    InvalidCallback,
    SubmitOutcome,
    Tracking,
)
from chalicelib.carriers.jumdata.settings import ACCOUNT_FIELDS
from chalicelib.carriers.jumdata.units import (
    OPERATION_REDIRECT,
    OPERATION_TO_OUTLET,
    OPERATION_TO_SENDER,
    REASON_CODES,
    RESULTS,
    RETRYABLE_CODES,
    STAGES,
    SYSTEM_CODES,
)
from chalicelib.carriers.wire import compact_json
from chalicelib.domain.returns import ReturnTo

if TYPE_CHECKING:
    from chalicelib.carriers.adapter import Call, WireRequest
    from chalicelib.carriers.jumdata.settings import JumdataSettings

INTERCEPT_PATH = "/express/intercept/submit"   # modelled
QUERY_PATH = "/express/intercept/query"        # modelled
TRACK_PATH = "/express/trace/query"            # modelled
#: the scans of a tracking answer (modelled)
SCAN_FIELDS = common.ScanFields(code="status", at="time", text="desc", location="site")
CARRIER_REF_FIELD = "taskNo"                   # published
#: the reason an interception is refused without a call: the merchant has no account with the carrier
ACCOUNT_MISSING = "carrier_account_missing"

ENVELOPE = common.Envelope("jumdata", verdict="success", code="code", message="msg", data="data",
                           system_codes=SYSTEM_CODES, retryable_codes=RETRYABLE_CODES)


def sign(app_id: str, app_secret: str, timestamp: str) -> str:
    """sha256_hex(appId + appSecret + timestamp), as jumdata's signing note publishes it."""
    return hashlib.sha256((app_id + app_secret + timestamp).encode("utf-8")).hexdigest()


def account_for(settings: JumdataSettings, carrier: str, merchant: Mapping[str, str] | None = None) -> dict[str, str]:
    """The merchant's credentials with `carrier` (its own from its settings, else the platform-level
    one); a missing one is our account's fault, not the parcel's."""
    account = merchant or settings.accounts.get(carrier)
    if not account or not account.get("customerCode"):
        raise CarrierAccountFault(f"no jumdata account of the merchant's for {carrier}", ACCOUNT_MISSING)
    return {name: str(account[name]) for name in ACCOUNT_FIELDS if account.get(name)}


def intercept_payload(order: InterceptOrder, settings: JumdataSettings, call: Call) -> dict[str, str]:
    payload = {"expressCode": call.company, "mailNo": order.tracking_no, "reason": order.reason,
               **account_for(settings, call.carrier, order.account)}
    if order.redirect_to is not None:
        to = order.redirect_to
        payload.update(operationType=OPERATION_REDIRECT, receiverName=to.name, receiverMobile=to.phone,
                       receiverProvince=to.province, receiverCity=to.city, receiverDistrict=to.district,
                       receiverAddress=to.street)
    else:
        payload["operationType"] = OPERATION_TO_OUTLET if order.return_to == ReturnTo.outlet else OPERATION_TO_SENDER
    return payload


def http_request(path: str, payload: Mapping[str, str], settings: JumdataSettings, now_ms: int) -> WireRequest:
    timestamp = str(now_ms)
    form = {"appId": settings.app_id, "timestamp": timestamp, "sign": sign(settings.app_id, settings.app_secret,
                                                                          timestamp), **payload}
    return (settings.base_url.rstrip("/") + path, urlencode(form).encode("utf-8"),
            {"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})


def intercept_request(order: InterceptOrder, settings: JumdataSettings, call: Call) -> WireRequest:
    return http_request(INTERCEPT_PATH, intercept_payload(order, settings, call), settings, call.now_ms)


def query_request(order: InterceptOrder, settings: JumdataSettings, call: Call) -> WireRequest:
    payload = {"taskNo": order.carrier_ref or "", "expressCode": call.company, "mailNo": order.tracking_no}
    return http_request(QUERY_PATH, payload, settings, call.now_ms)


def track_request(tracking_no: str, settings: JumdataSettings, call: Call) -> WireRequest:
    return http_request(TRACK_PATH, {"expressCode": call.company, "mailNo": tracking_no}, settings, call.now_ms)


def read_answer(status: int, body: bytes) -> common.Answer:
    """jumdata's envelope `{code, msg, taskNo, data}`: code 200 is success (modelled as the verdict)."""
    from chalicelib.carriers.wire import json_object

    reply = json_object(body) if 200 <= status < 300 else None
    if isinstance(reply, dict) and "code" in reply:
        reply = {**reply, "success": str(reply["code"]) == "200", "code": str(reply["code"])}
        data = reply.get("data") if isinstance(reply.get("data"), dict) else {}
        reply["data"] = {**data, CARRIER_REF_FIELD: reply.get(CARRIER_REF_FIELD) or data.get(CARRIER_REF_FIELD)}
        body = compact_json(reply).encode("utf-8")
    return common.read_answer(status, body, ENVELOPE)


def parse_intercept_response(status: int, body: bytes) -> SubmitOutcome:
    return common.submit_outcome(read_answer(status, body), REASON_CODES, CARRIER_REF_FIELD)


def parse_query_response(status: int, body: bytes) -> SubmitOutcome:
    return common.query_outcome(read_answer(status, body), "InterceptStatus", "failCode", RESULTS, REASON_CODES)


def parse_track_response(status: int, body: bytes) -> Tracking:
    return common.tracking_of(read_answer(status, body), "traces", SCAN_FIELDS, STAGES)


def parse_callback(headers: Mapping[str, str], body: bytes, now: datetime, settings: Any) -> CallbackEvent:
    raise InvalidCallback("jumdata publishes no interception push; its results are polled")


def callback_ack(accepted: bool, message: str = "") -> HttpReply:
    return HttpReply(200 if accepted else 400, compact_json({"code": 200 if accepted else 400, "msg": message}))
