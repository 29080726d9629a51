"""jumdata as the simulator plays it, written from jumdata's documents (not from the gateway's
protocol module).

A form POST with `appId`, `timestamp` and `sign = sha256_hex(appId + appSecret + timestamp)`;
the interception takes `operationType` (1 origin outlet, 2 sender, 4 redirect) and the merchant's
carrier credentials (`customerCode`, `customerPsw`, `customerSiteCode`) and answers a `taskNo`;
the result query answers `InterceptStatus`. It pushes nothing. Modelled, as in the gateway: the
paths, the other field names, the envelope `{code, msg, taskNo, data}`, the status values and
codes. The simulator keeps instructions by waybill (`mailNo`).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Mapping

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

PATHS = {"/express/intercept/submit": Operation.intercept, "/express/intercept/query": Operation.query,
         "/express/trace/query": Operation.track}
OPERATION_TYPES = {"1", "2", "4"}
TRACE = {ParcelStage.in_transit: "TRANSIT", ParcelStage.at_destination_outlet: "OUTLET", ParcelStage.signed: "SIGNED"}


def jumdata_sign(app_id: str, app_secret: str, timestamp: str) -> str:
    return hashlib.sha256(f"{app_id}{app_secret}{timestamp}".encode("utf-8")).hexdigest()


def _reply(code: int, msg: str, data: Any = None, task_no: str = "") -> Reply:
    return Reply(200, json.dumps({"code": code, "msg": msg, "taskNo": task_no, "data": data},
                                 ensure_ascii=False).encode("utf-8"))


class JumdataCarrier:
    code = "jumdata"
    #: its requests carry no id of ours: instructions are kept by waybill
    keyed_by_waybill = True

    def __init__(self, credentials: Mapping[str, Any]) -> None:
        self._app_id = credentials["app_id"]
        self._app_secret = credentials["app_secret"]
        #: jumdata's company code -> the merchant's account it knows with that carrier, where given:
        #: another customerCode or customerPsw is refused (405)
        self._accounts: Mapping[str, Mapping[str, str]] = credentials.get("accounts") or {}

    def read_request(self, path: str, headers: Mapping[str, str], body: bytes) -> InterceptRequest | Reply:
        form = read_form(body)
        operation = PATHS.get(path)
        if form is None or operation is None:
            return _reply(404, "no such service")
        if form.get("appId") != self._app_id or not form.get("timestamp"):
            return _reply(401, "unknown appId")
        if not hmac.compare_digest((form.get("sign") or "").encode(),
                                   jumdata_sign(self._app_id, self._app_secret, form["timestamp"]).encode()):
            return _reply(401, "sign check failed")
        mail_no = form.get("mailNo")
        if not mail_no or not form.get("expressCode"):
            return _reply(400, "expressCode and mailNo are required")
        if operation is Operation.intercept:
            if form.get("operationType") not in OPERATION_TYPES:
                return _reply(400, "operationType is 1, 2 or 4")
            if not form.get("customerCode"):
                return _reply(405, "the merchant's carrier account (customerCode) is required")
            known = self._accounts.get(form["expressCode"])
            if known and any(form.get(name) != known.get(name) for name in ("customerCode", "customerPsw")):
                return _reply(405, "the merchant's carrier account was refused")
            if form["operationType"] == "4" and not (form.get("receiverName") and form.get("receiverAddress")):
                return _reply(400, "a redirect needs the new address")
        return InterceptRequest(mail_no, mail_no, operation)

    def accepted(self, request: InterceptRequest) -> Reply:
        return _reply(200, "成功", {}, task_no=f"JUM-{request.tracking_no}")

    def refused_signed(self, request: InterceptRequest) -> Reply:
        return _reply(30001, f"运单 {request.tracking_no} 已签收", task_no=f"JUM-{request.tracking_no}")

    def cancelled(self, request: InterceptRequest, done: bool) -> Reply:  # jumdata has no cancel
        return _reply(404, "no such service")

    def status(self, request: InterceptRequest, outcome: Outcome | None) -> Reply:
        if outcome is None:
            data = {"InterceptStatus": "0"}
        elif outcome is Outcome.intercepted:
            data = {"InterceptStatus": "1"}
        else:
            data = {"InterceptStatus": "2", "failCode": "30002", "message": "派件中，拦截失败"}
        return _reply(200, "成功", data, task_no="JUM-Q")

    def stage(self, request: InterceptRequest, stage: ParcelStage, times: ScanTimes) -> Reply:
        return _reply(200, "成功", {"traces": [
            {"status": "GOT", "time": wall_clock(times.picked_up), "desc": SCAN_TEXT[ParcelStage.picked_up],
             "site": PICKUP_SITE},
            {"status": TRACE[stage], "time": wall_clock(times.latest), "desc": SCAN_TEXT[stage], "site": LATEST_SITE}]})

    def callback(self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int) -> Callback:
        raise NotImplementedError("jumdata pushes no interception result")
