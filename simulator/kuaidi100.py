"""kuaidi100 as the simulator plays it, written from kuaidi100's documents (not from the gateway).

Published: `POST /label/order` with `method=interceptOrder`, `key`, `t`, `param`,
`sign = UPPER(md5_hex(param + t + key + secret))`, answered `{"code": 200, "message", "data":
{"taskId"}, "time"}`; the tracking query `POST /poll/query.do` with `customer`, `param`,
`sign = UPPER(md5_hex(param + key + customer))`. There is no cancel and no status query: the
result goes only to the `callbackUrl` of each request (its shape and the salted sign are modelled).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, Mapping
from urllib.parse import urlencode

from chalicelib.domain.stages import ParcelStage
from simulator.forms import read_form
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

#: kuaidi100's own company codes for the carriers its interception reaches.
COMPANIES = {"zhongtong", "yuantong", "jtexpress", "shentong", "shunfeng"}
INTERCEPT_TYPES = {"RETURN_SEND_STATION", "RETURN_SEND_ADDR", "MODIFY_ADDR"}
#: kuaidi100 has no destination-outlet state: a 7 shows as arrived in the destination city (1001).
STATES = {ParcelStage.in_transit: "0", ParcelStage.at_destination_outlet: "1001", ParcelStage.signed: "3"}
#: the published state names a resultv2=1 scan carries as `status`
SCAN_STATUS_NAMES = {ParcelStage.picked_up: "揽收", ParcelStage.in_transit: "在途",
                     ParcelStage.at_destination_outlet: "在途", ParcelStage.signed: "签收"}


def _upper_md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def _matches(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def _reply(code: int, message: str, data: Any = None) -> Reply:
    return Reply(200, json.dumps({"code": code, "message": message, "data": data, "time": int(time.time() * 1000)},
                                 ensure_ascii=False).encode("utf-8"))


class Kuaidi100Carrier:
    code = "kuaidi100"

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self._key = credentials["key"]
        self._secret = credentials["secret"]
        self._customer = credentials["customer"]
        self._salts: dict[str, str] = {}
        self._default_salt = credentials.get("salt", "")

    def read_request(self, path: str, headers: Mapping[str, str], body: bytes) -> InterceptRequest | Reply:
        form = read_form(body) or {}
        param = form.get("param", "")
        if path.strip("/") == "poll/query.do":
            if form.get("customer") != self._customer or \
                    not _matches(form.get("sign"), _upper_md5(param + self._key + self._customer)):
                return Reply(200, b'{"result":false,"returnCode":"401","message":"sign error"}')
            try:
                number = json.loads(param)["num"]
            except (ValueError, KeyError, TypeError):
                return Reply(200, b'{"result":false,"returnCode":"400","message":"param needs num"}')
            return InterceptRequest("", str(number), Operation.track)
        if path.strip("/") != "label/order":
            return _reply(404, "not found")
        if form.get("method") != "interceptOrder":
            return _reply(400, f"unknown method {form.get('method')}")
        if form.get("key") != self._key or \
                not _matches(form.get("sign"), _upper_md5(param + form.get("t", "") + self._key + self._secret)):
            return _reply(401, "sign error")
        try:
            payload = json.loads(param)
        except ValueError:
            return _reply(400, "param is not JSON")
        if not isinstance(payload, dict) or payload.get("kuaidicom") not in COMPANIES \
                or not isinstance(payload.get("kuaidinum"), str) or not isinstance(payload.get("orderId"), str) \
                or payload.get("interceptType") not in INTERCEPT_TYPES:
            return _reply(400, "kuaidicom, kuaidinum, orderId and interceptType are required")
        if payload["interceptType"] == "MODIFY_ADDR" and not isinstance(payload.get("recManInfo"), dict):
            return _reply(400, "MODIFY_ADDR needs recManInfo")
        if not payload.get("callbackUrl") or not payload.get("salt"):
            return _reply(400, "callbackUrl and salt are required: results come only by callback")
        self._salts[payload["orderId"]] = payload["salt"]
        return InterceptRequest(payload["orderId"], payload["kuaidinum"], Operation.intercept, payload["callbackUrl"])

    def accepted(self, request: InterceptRequest) -> Reply:
        return _reply(200, "success", {"taskId": f"K100-{request.tracking_no}"})

    def refused_signed(self, request: InterceptRequest) -> Reply:
        return _reply(30001, f"{request.tracking_no} 已签收")

    def cancelled(self, request: InterceptRequest, done: bool) -> Reply:  # pragma: no cover - no such API
        return _reply(400, "unknown method")

    def status(self, request: InterceptRequest, outcome: Outcome | None) -> Reply:  # pragma: no cover - no such API
        return _reply(400, "unknown method")

    def stage(self, request: InterceptRequest, stage: ParcelStage, times: ScanTimes) -> Reply:
        """The query's answer lists the scans newest first; resultv2=1 adds each scan's `status` name."""
        data = [{"time": wall_clock(at), "ftime": wall_clock(at), "context": SCAN_TEXT[scanned], "areaName": site,
                 "status": SCAN_STATUS_NAMES[scanned]}
                for scanned, at, site in ((stage, times.latest, LATEST_SITE),
                                          (ParcelStage.picked_up, times.picked_up, PICKUP_SITE))]
        return Reply(200, json.dumps({"message": "ok", "status": "200", "state": STATES[stage], "nu": request.tracking_no,
                                      "data": data}, ensure_ascii=False).encode())

    def callback(self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int) -> Callback:
        push = {"taskId": f"K100-{request.tracking_no}", "orderId": request.intercept_id,
                "kuaidinum": request.tracking_no}
        if outcome is Outcome.intercepted:
            push.update(interceptStatus="INTERCEPT_SUCCESS", message="拦截成功")
        else:
            push.update(interceptStatus="INTERCEPT_FAIL", failCode="30002", message="快件已派送，拦截失败")
        param = json.dumps(push, ensure_ascii=False)
        salt = self._salts.get(request.intercept_id, self._default_salt)
        body = urlencode({"param": param, "sign": _upper_md5(param + salt)})
        return Callback(event_id, {"Content-Type": "application/x-www-form-urlencoded"}, body.encode())
