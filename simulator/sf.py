"""SF as the simulator plays it, written from SF's documents (not from the gateway's protocol module).

Requests: a form `partnerID, requestID, serviceCode, timestamp, msgDigest, msgData` with
`msgDigest = base64(md5(java.net.URLEncoder.encode(msgData + timestamp + checkWord, "UTF-8")))`
(SF's signing document). `EXP_RECE_WANTED_INTERCEPT` takes `waybillNo` (SF's msgData has no client
reference, so the simulator keeps its instructions by waybill) and answers the fee variant's
`cusId` and `amount`; `EXP_RECE_SEARCH_ROUTES` answers the waybill's routes, whose newest code
tells where an interception stands (SF has no interception status query). Results are pushed as
route pushes (`WaybillRoute`), in the signed envelope the gateway requires (modelled).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, Mapping
from urllib.parse import urlencode

from chalicelib.domain.stages import ParcelStage
from simulator.forms import read_form
from simulator.protocol import (
    LATEST_SITE,
    PICKUP_SITE,
    Callback,
    InterceptRequest,
    Operation,
    Outcome,
    Reply,
    ScanTimes,
    wall_clock,
)

INTERCEPT = "EXP_RECE_WANTED_INTERCEPT"
ROUTES = "EXP_RECE_SEARCH_ROUTES"
ROUTE_PUSH = "RoutePushService"
#: SF has no route code the gateway maps to the destination outlet: a 7 shows as "arrived" (31).
OP_CODES = {ParcelStage.in_transit: "30", ParcelStage.at_destination_outlet: "31", ParcelStage.signed: "80"}
#: the routes an interception's outcome adds: returned to the sender (99); out for delivery, then signed
OUTCOME_ROUTES = {Outcome.intercepted: [("99", "应客户要求，快件正在退回中")],
                  Outcome.failed_out_for_delivery: [("44", "快件正在派送中"), ("80", "已签收")]}
#: the fee SF's fee variant answers, yuan
FEE_YUAN = "6.00"
#: Java's URLEncoder leaves these unescaped (letters and digits aside); a space becomes '+'
_JAVA_SAFE = "-_.*"


def java_url_encode(text: str) -> str:
    """java.net.URLEncoder.encode(text, "UTF-8"), written from its specification: ASCII letters,
    digits and `-_.*` stay, a space becomes '+', every other byte of the UTF-8 text is %XX."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if byte < 128 and (char.isalnum() or char in _JAVA_SAFE):
            out.append(char)
        elif char == " ":
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def msg_digest(msg_data: str, timestamp: str, check_word: str) -> str:
    encoded = java_url_encode(msg_data + timestamp + check_word)
    return base64.b64encode(hashlib.md5(encoded.encode("utf-8")).digest()).decode()


def _platform_error(code: str, message: str) -> Reply:
    return Reply(200, json.dumps({"apiResultCode": code, "apiErrorMsg": message, "apiResponseID": "",
                                  "apiResultData": None}).encode())


def _result(success: bool, error_code: str, error_msg: str | None, msg_data: Any = None) -> Reply:
    data = json.dumps({"success": success, "errorCode": error_code, "errorMsg": error_msg, "msgData": msg_data},
                      ensure_ascii=False)
    return Reply(200, json.dumps({"apiResultCode": "A1000", "apiErrorMsg": "", "apiResponseID": "sim",
                                  "apiResultData": data}, ensure_ascii=False).encode("utf-8"))


class SfCarrier:
    code = "sf"
    #: its requests carry no id of ours: instructions are kept by waybill
    keyed_by_waybill = True
    #: the routes carry the interception's result: the core passes the outcome to `stage`
    results_in_tracking = True

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self._partner_id = credentials["partner_id"]
        self._check_word = credentials["check_word"]
        #: the merchant's monthly account SF knows, where given: another card is refused
        self._monthly_card_no = credentials.get("monthly_card_no")

    def read_request(self, path: str, headers: Mapping[str, str], body: bytes) -> InterceptRequest | Reply:
        form = read_form(body)
        if form is None or not all(form.get(name) for name in ("partnerID", "requestID", "serviceCode", "timestamp",
                                                                  "msgDigest", "msgData")):
            return _platform_error("A1001", "required parameter missing")
        if form["partnerID"] != self._partner_id:
            return _platform_error("A1004", "no permission")
        expected = msg_digest(form["msgData"], form["timestamp"], self._check_word)
        if not hmac.compare_digest(form["msgDigest"].encode(), expected.encode()):
            return _platform_error("A1006", "msgDigest invalid")
        service = form["serviceCode"]
        try:
            payload = json.loads(form["msgData"])
        except ValueError:
            return _platform_error("A1001", "msgData is not JSON")
        if not isinstance(payload, dict):
            return _platform_error("A1001", "msgData is not an object")
        if service == ROUTES:
            numbers = payload.get("trackingNumber")
            if not isinstance(numbers, list) or not numbers or not isinstance(numbers[0], str):
                return _result(False, "8001", "trackingNumber required")
            return InterceptRequest(numbers[0], numbers[0], Operation.track)
        if service != INTERCEPT:
            return _platform_error("A1004", f"no permission for {service}")
        waybill = payload.get("waybillNo")
        if not isinstance(waybill, str) or not waybill:
            return _result(False, "8001", "waybillNo required")
        if payload.get("cancel"):
            return InterceptRequest(waybill, waybill, Operation.cancel)
        if payload.get("serviceCode") not in ("1", "2"):
            return _result(False, "8002", "unsupported serviceCode")
        if payload.get("payMode") in ("3", "4") and not payload.get("monthlyCardNo"):
            return _result(False, "8003", "monthlyCardNo required for payMode 3 and 4")
        if self._monthly_card_no and payload.get("monthlyCardNo") not in (None, self._monthly_card_no):
            return _result(False, "8003", "monthlyCardNo is not a monthly account of this partner")
        if payload["serviceCode"] == "1" and not isinstance(payload.get("newDestAddress"), dict):
            return _result(False, "8004", "newDestAddress required")
        return InterceptRequest(waybill, waybill, Operation.intercept)

    def accepted(self, request: InterceptRequest) -> Reply:
        return _result(True, "S0000", None, {"cusId": f"SF-CUS-{request.tracking_no}", "amount": FEE_YUAN})

    def refused_signed(self, request: InterceptRequest) -> Reply:
        return _result(False, "8016", f"运单 {request.tracking_no} 已签收")

    def cancelled(self, request: InterceptRequest, done: bool) -> Reply:
        return _result(True, "S0000", None) if done else _result(False, "8021", "无可撤销的拦截")

    def status(self, request: InterceptRequest, outcome: Outcome | None) -> Reply:
        return self.stage(request, ParcelStage.in_transit, outcome)

    def _routes(self, stage: ParcelStage, outcome: Outcome | None) -> list[tuple[str, str]]:
        routes = [("50", "顺丰已收件"), (OP_CODES[stage], "-")]
        return routes + OUTCOME_ROUTES[outcome] if outcome is not None else routes

    def stage(self, request: InterceptRequest, stage: ParcelStage, times: ScanTimes,
              outcome: Outcome | None = None) -> Reply:
        """The first route at pickup, each later one a minute apart up to `times.latest`."""
        listed = self._routes(stage, outcome)
        routes = [{"opCode": code, "remark": remark, "acceptAddress": PICKUP_SITE if n == 0 else LATEST_SITE,
                   "acceptTime": wall_clock(times.picked_up if n == 0 else times.latest - (len(listed) - 1 - n) * 60_000)}
                  for n, (code, remark) in enumerate(listed)]
        return _result(True, "S0000", None, {"routeResps": [{"mailNo": request.tracking_no, "routes": routes}]})

    def callback(self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int) -> Callback:
        outcome_routes = OUTCOME_ROUTES[outcome]  # scanned in the minutes before the push
        routes = [{"id": f"{event_id}-{n}", "mailno": request.tracking_no, "orderid": "", "opCode": code,
                   "remark": remark, "acceptTime": wall_clock(now_millis - (len(outcome_routes) - n) * 60_000),
                   "acceptAddress": LATEST_SITE}
                  for n, (code, remark) in enumerate(outcome_routes)]
        msg_data, timestamp = json.dumps({"Body": {"WaybillRoute": routes}}, ensure_ascii=False), str(now_millis)
        form = {"partnerID": self._partner_id, "requestID": event_id, "serviceCode": ROUTE_PUSH,
                "timestamp": timestamp, "msgDigest": msg_digest(msg_data, timestamp, self._check_word),
                "msgData": msg_data}
        return Callback(event_id, {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(form).encode())
