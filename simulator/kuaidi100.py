"""kuaidi100 as the simulator plays it: the aggregator's side of chalicelib/carriers/kuaidi100/protocol.py.

Its callbacks go to the `callbackUrl` of each request, as kuaidi100's do.
"""
from __future__ import annotations

import json
from typing import Any, Mapping
from urllib.parse import urlencode

from chalicelib.carriers.kuaidi100 import DECLARATION
from chalicelib.carriers.kuaidi100.protocol import (
    CANCEL_METHOD,
    INTERCEPT_METHOD,
    ORDER_PATH,
    QUERY_METHOD,
    TRACK_PATH,
    push_sign,
    query_sign,
    sign,
)
from chalicelib.carriers.wire import same
from chalicelib.domain.stages import ParcelStage
from simulator.forms import read_form
from simulator.protocol import Callback, InterceptRequest, Operation, Outcome, Reply

OPERATIONS = {INTERCEPT_METHOD: Operation.intercept, CANCEL_METHOD: Operation.cancel, QUERY_METHOD: Operation.query}
#: kuaidi100 has no destination-outlet state: a 7 shows as arrived in the destination city (1001).
STATES = {ParcelStage.in_transit: "0", ParcelStage.at_destination_outlet: "1001", ParcelStage.signed: "3"}


def _reply(result: bool, code: str, message: str, data: Any = None) -> Reply:
    return Reply(200, json.dumps({"result": result, "returnCode": code, "message": message, "data": data},
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
        if path.strip("/") == TRACK_PATH:
            if form.get("customer") != self._customer or not same(form.get("sign"), query_sign(param, self._key, self._customer)):
                return Reply(200, b'{"result":false,"returnCode":"401","message":"sign error"}')
            try:
                number = json.loads(param)["num"]
            except (ValueError, KeyError, TypeError):
                return Reply(200, b'{"result":false,"returnCode":"400","message":"param needs num"}')
            return InterceptRequest("", str(number), Operation.track)
        if path.strip("/") != ORDER_PATH:
            return Reply(404, b'{"result":false,"returnCode":"404","message":"not found"}')
        operation = OPERATIONS.get(form.get("method", ""))
        if operation is None:
            return _reply(False, "400", f"unknown method {form.get('method')}")
        if form.get("key") != self._key or not same(form.get("sign"), sign(param, form.get("t", ""), self._key, self._secret)):
            return _reply(False, "401", "sign error")
        try:
            payload = json.loads(param)
        except ValueError:
            return _reply(False, "400", "param is not JSON")
        if not isinstance(payload, dict) or payload.get("kuaidicom") not in DECLARATION.reaches.values() \
                or not isinstance(payload.get("kuaidinum"), str) or not isinstance(payload.get("orderId"), str):
            return _reply(False, "400", "kuaidicom, kuaidinum and orderId are required")
        if operation is Operation.intercept:
            if not payload.get("callbackUrl") or not payload.get("salt"):
                return _reply(False, "400", "callbackUrl and salt are required for this carrier")
            self._salts[payload["orderId"]] = payload["salt"]
        return InterceptRequest(payload["orderId"], payload["kuaidinum"], operation, payload.get("callbackUrl"))

    def accepted(self, request: InterceptRequest) -> Reply:
        return _reply(True, "200", "提交成功", {"taskId": f"K100-{request.tracking_no}"})

    def refused_signed(self, request: InterceptRequest) -> Reply:
        return _reply(False, "30001", f"{request.tracking_no} 已签收")

    def cancelled(self, request: InterceptRequest, done: bool) -> Reply:
        return _reply(True, "200", "取消成功") if done else _reply(False, "30006", "无可取消的拦截")

    def status(self, request: InterceptRequest, outcome: Outcome | None) -> Reply:
        if outcome is None:
            data = {"interceptStatus": "INTERCEPTING"}
        elif outcome is Outcome.intercepted:
            data = {"interceptStatus": "INTERCEPT_SUCCESS"}
        else:
            data = {"interceptStatus": "INTERCEPT_FAIL", "failCode": "30002", "message": "已派件"}
        return _reply(True, "200", "ok", data)

    def stage(self, request: InterceptRequest, stage: ParcelStage) -> Reply:
        return Reply(200, json.dumps({"message": "ok", "status": "200", "state": STATES[stage], "nu": request.tracking_no,
                                      "data": []}).encode())

    def callback(self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int) -> Callback:
        push = {"orderId": request.intercept_id, "kuaidinum": request.tracking_no}
        if outcome is Outcome.intercepted:
            push.update(interceptStatus="INTERCEPT_SUCCESS", message="拦截成功")
        else:
            push.update(interceptStatus="INTERCEPT_FAIL", failCode="30002", message="快件已派送，拦截失败")
        param = json.dumps(push, ensure_ascii=False)
        body = urlencode({"param": param, "sign": push_sign(param, self._salts.get(request.intercept_id, self._default_salt))})
        return Callback(event_id, {"Content-Type": "application/x-www-form-urlencoded"}, body.encode())
