"""SF as the simulator plays it: the carrier's side of chalicelib/carriers/sf/protocol.py."""
from __future__ import annotations

import json
from typing import Any, Mapping
from urllib.parse import urlencode

from chalicelib.carriers.sf.protocol import INTERCEPT_SERVICE, PUSH_SERVICE, QUERY_SERVICE, ROUTES_SERVICE, sign
from chalicelib.carriers.wire import same
from chalicelib.domain.stages import ParcelStage
from simulator.forms import read_form
from simulator.protocol import Callback, InterceptRequest, Operation, Outcome, Reply

#: SF has no route code the gateway maps to the destination outlet: a 7 shows as "arrived" (31).
OP_CODES = {ParcelStage.in_transit: "30", ParcelStage.at_destination_outlet: "31", ParcelStage.signed: "80"}


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

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self._partner_id = credentials["partner_id"]
        self._check_word = credentials["check_word"]

    def read_request(self, path: str, headers: Mapping[str, str], body: bytes) -> InterceptRequest | Reply:
        form = read_form(body)
        if form is None or not all(form.get(name) for name in ("partnerID", "requestID", "serviceCode", "timestamp",
                                                                  "msgDigest", "msgData")):
            return _platform_error("A1001", "required parameter missing")
        if form["partnerID"] != self._partner_id:
            return _platform_error("A1004", "no permission")
        if not same(form["msgDigest"], sign(form["msgData"], form["timestamp"], self._check_word)):
            return _platform_error("A1006", "msgDigest invalid")
        service = form["serviceCode"]
        try:
            payload = json.loads(form["msgData"])
        except ValueError:
            return _platform_error("A1001", "msgData is not JSON")
        if not isinstance(payload, dict):
            return _platform_error("A1001", "msgData is not an object")
        if service == ROUTES_SERVICE:
            numbers = payload.get("trackingNumber")
            if not isinstance(numbers, list) or not numbers:
                return _result(False, "8001", "trackingNumber required")
            return InterceptRequest("", str(numbers[0]), Operation.track)
        if service not in (INTERCEPT_SERVICE, QUERY_SERVICE):
            return _platform_error("A1004", f"no permission for {service}")
        if not isinstance(payload.get("waybillNo"), str) or not isinstance(payload.get("orderId"), str):
            return _result(False, "8001", "waybillNo required")
        if service == QUERY_SERVICE:
            operation = Operation.query
        elif payload.get("cancel"):
            operation = Operation.cancel
        elif payload.get("serviceCode") in ("1", "2"):
            operation = Operation.intercept
        else:
            return _result(False, "8002", "unsupported serviceCode")
        return InterceptRequest(payload["orderId"], payload["waybillNo"], operation)

    def accepted(self, request: InterceptRequest) -> Reply:
        return _result(True, "S0000", None, {"cusId": f"SF-CUS-{request.tracking_no}"})

    def refused_signed(self, request: InterceptRequest) -> Reply:
        return _result(False, "8016", f"运单 {request.tracking_no} 已签收")

    def cancelled(self, request: InterceptRequest, done: bool) -> Reply:
        return _result(True, "S0000", None) if done else _result(False, "8021", "无可撤销的拦截")

    def status(self, request: InterceptRequest, outcome: Outcome | None) -> Reply:
        if outcome is None:
            data = {"interceptStatus": "PROCESSING"}
        elif outcome is Outcome.intercepted:
            data = {"interceptStatus": "SUCCESS"}
        else:
            data = {"interceptStatus": "FAIL", "errorCode": "8017", "message": "已派送"}
        return _result(True, "S0000", None, data)

    def stage(self, request: InterceptRequest, stage: ParcelStage) -> Reply:
        routes = [{"opCode": "50", "remark": "顺丰已收件"}, {"opCode": OP_CODES[stage], "remark": "-"}]
        return _result(True, "S0000", None, {"routeResps": [{"mailNo": request.tracking_no, "routes": routes}]})

    def callback(self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int) -> Callback:
        push = {"waybillNo": request.tracking_no, "orderId": request.intercept_id}
        if outcome is Outcome.intercepted:
            push.update(interceptStatus="SUCCESS", remark="拦截成功")
        else:
            push.update(interceptStatus="FAIL", errorCode="8017", remark="快件已派送，拦截失败")
        msg_data, timestamp = json.dumps(push, ensure_ascii=False), str(now_millis)
        form = {"partnerID": self._partner_id, "requestID": event_id, "serviceCode": PUSH_SERVICE,
                "timestamp": timestamp, "msgDigest": sign(msg_data, timestamp, self._check_word), "msgData": msg_data}
        return Callback(event_id, {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(form).encode())
