"""ZTO as the simulator plays it, written from ZTO's open-platform documents (not from the gateway).

Published: `x-datadigest = base64(md5_raw(body + appSecret))` over the exact body with `x-appKey`
and `x-companyid`; system codes S2xx; pushes as a form of `data`, `data_digest =
base64(md5_raw(data + appSecret))`, `company_id`, `msg_type`; tracking `action`s. ZTO publishes no
interception API: the method names, the result push's msg_type and fields are the gateway's
model of it, and appear here as the same literals.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, Mapping
from urllib.parse import urlencode

from chalicelib.domain.stages import ParcelStage
from simulator.protocol import (
    LATEST_SITE,
    PICKUP_SITE,
    SCAN_TEXT,
    Callback,
    InterceptRequest,
    Operation,
    Outcome,
    Reply,
    ScanTimes,
    wall_clock,
)

OPERATIONS = {"zto.open.intercept.apply": Operation.intercept, "zto.open.intercept.cancel": Operation.cancel,
              "zto.open.intercept.query": Operation.query, "zto.open.trace.query": Operation.track}
#: ZTO has no action for the destination outlet: a parcel there shows its last ARRIVAL.
ACTIONS = {ParcelStage.in_transit: "DEPARTURE", ParcelStage.at_destination_outlet: "ARRIVAL",
           ParcelStage.signed: "SIGNED"}
RESULT_MSG_TYPE = "INTERCEPT_RESULT"


def sign(data: bytes, secret: str) -> str:
    """base64 of the raw MD5 of the bytes followed by the secret."""
    return base64.b64encode(hashlib.md5(data + secret.encode("utf-8")).digest()).decode("ascii")


def _reply(payload: dict[str, Any]) -> Reply:
    return Reply(200, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def _error(status_code: str, message: str) -> Reply:
    return _reply({"status": False, "statusCode": status_code, "message": message, "result": None})


class ZtoCarrier:
    code = "zto"

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self._app_key = credentials["app_key"]
        self._app_secret = credentials["app_secret"]
        self._company_id = credentials["company_id"]

    def read_request(self, path: str, headers: Mapping[str, str], body: bytes) -> InterceptRequest | Reply:
        operation = OPERATIONS.get(path.strip("/"))
        if operation is None:
            return _error("S207", f"no such API: {path}")
        if headers.get("x-appkey") != self._app_key:
            return _error("S211", "signature check failed: unknown appKey")
        digest = headers.get("x-datadigest", "")
        if not hmac.compare_digest(digest.encode("utf-8"), sign(body, self._app_secret).encode("ascii")):
            return _error("S211", "signature check failed")
        if headers.get("x-companyid") != self._company_id:
            return _error("S210", "appKey is not bound to this company")
        try:
            payload = json.loads(body)
        except ValueError:
            return _error("S208", "body is not JSON")
        if not isinstance(payload, dict):
            return _error("S208", "body is not a JSON object")
        required = ("billCode",) if operation is Operation.track else ("billCode", "orderId")
        missing = [name for name in required if not payload.get(name) or not isinstance(payload[name], str)]
        if missing:
            return _error("S208", f"missing parameter: {', '.join(missing)}")
        return InterceptRequest(payload.get("orderId", ""), payload["billCode"], operation)

    def cancelled(self, request: InterceptRequest, done: bool) -> Reply:
        if done:
            return _reply({"status": True, "statusCode": "0", "message": "取消成功", "result": None})
        return _error("NOT_FOUND", "无可取消的拦截")

    def status(self, request: InterceptRequest, outcome: Outcome | None) -> Reply:
        if outcome is None:
            result = {"status": "ACCEPTED"}
        elif outcome is Outcome.intercepted:
            result = {"status": "INTERCEPT_SUCCESS", "message": "拦截成功"}
        else:
            result = {"status": "INTERCEPT_FAIL", "reasonCode": "DISPATCHED", "message": "快件已派送"}
        return _reply({"status": True, "statusCode": "0", "message": "ok", "result": result})

    def stage(self, request: InterceptRequest, stage: ParcelStage, times: ScanTimes) -> Reply:
        traces = [{"action": "GOT", "scanDate": wall_clock(times.picked_up), "desc": SCAN_TEXT[ParcelStage.picked_up],
                   "scanSite": {"name": PICKUP_SITE}},
                  {"action": ACTIONS[stage], "scanDate": wall_clock(times.latest), "desc": SCAN_TEXT[stage],
                   "scanSite": {"name": LATEST_SITE}}]
        return _reply({"status": True, "statusCode": "0", "message": "ok", "result": {"traces": traces}})

    def accepted(self, request: InterceptRequest) -> Reply:
        return _reply({
            "status": True,
            "statusCode": "0",
            "message": "拦截申请已受理",
            "result": {"interceptNo": f"ZTO-INT-{request.tracking_no}", "billCode": request.tracking_no},
        })

    def refused_signed(self, request: InterceptRequest) -> Reply:
        return _error("SIGNED", f"运单 {request.tracking_no} 已签收，无法拦截")

    def callback(self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int) -> Callback:
        if outcome is Outcome.intercepted:
            status, reason_code, message = "INTERCEPT_SUCCESS", None, "拦截成功，快件退回寄件人"
        else:
            status, reason_code, message = "INTERCEPT_FAIL", "DISPATCHED", "快件已派送，拦截失败"
        push = {
            "eventId": event_id,
            "orderId": request.intercept_id,
            "billCode": request.tracking_no,
            "status": status,
            "reasonCode": reason_code,
            "message": message,
            "timestamp": now_millis,
        }
        data = json.dumps(push, ensure_ascii=False)
        body = urlencode({"data": data, "data_digest": sign(data.encode("utf-8"), self._app_secret),
                          "company_id": self._company_id, "msg_type": RESULT_MSG_TYPE}).encode("ascii")
        return Callback(event_id=event_id, headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                        body=body)
