"""YTO as the simulator plays it, written from YTO's documents (not from the gateway's protocol module).

YTO's open platform takes a form `app_key, method, v, format, timestamp, param, sign` with
`sign = base64(md5_raw(param + method + v + secret))` (YTO's signing document works the digest
step through; third-party summaries give the concatenation). The tracking method
`yto.Marketing.WaybillTrace` is published; YTO publishes no interception API, so the methods below
are the same model the gateway's protocol uses (see docs/carriers.md).
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
    SCAN_TEXT,
    Callback,
    InterceptRequest,
    Operation,
    Outcome,
    Reply,
    ScanTimes,
    wall_clock,
)

INTERCEPT_METHOD = "yto.intercept.apply"    # modelled
CANCEL_METHOD = "yto.intercept.cancel"      # modelled
QUERY_METHOD = "yto.intercept.query"        # modelled
TRACK_METHOD = "yto.Marketing.WaybillTrace"  # published
PUSH_METHOD = "yto.intercept.notify"        # modelled
VERSION = "v1"


def yto_sign(param: str, method: str, version: str, secret: str) -> str:
    """YTO's sign: the raw MD5 of param + method + v + secret (UTF-8), in base64."""
    digest = hashlib.md5()
    for part in (param, method, version, secret):
        digest.update(part.encode("utf-8"))
    return base64.b64encode(digest.digest()).decode("ascii")


OPERATIONS = {INTERCEPT_METHOD: Operation.intercept, CANCEL_METHOD: Operation.cancel, QUERY_METHOD: Operation.query,
              TRACK_METHOD: Operation.track}
OPERATE_TYPES = {ParcelStage.in_transit: "ARRIVAL", ParcelStage.at_destination_outlet: "OUTLET_ARRIVAL",
                 ParcelStage.signed: "SIGNED"}


def _reply(success: bool, code: str, message: str, data: Any = None) -> Reply:
    return Reply(200, json.dumps({"success": success, "code": code, "message": message, "data": data},
                                 ensure_ascii=False).encode("utf-8"))


class YtoCarrier:
    code = "yto"

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self._app_key = credentials["app_key"]
        self._secret = credentials["secret"]

    def read_request(self, path: str, headers: Mapping[str, str], body: bytes) -> InterceptRequest | Reply:
        form = read_form(body)
        if form is None:
            return _reply(False, "1004", "body is not a form")
        operation = OPERATIONS.get(form.get("method", ""))
        if operation is None:
            return _reply(False, "1003", f"no such method: {form.get('method')}")
        if form.get("app_key") != self._app_key:
            return _reply(False, "1002", "unknown app_key")
        param = form.get("param", "")
        expected = yto_sign(param, form["method"], form.get("v", ""), self._secret)
        if not hmac.compare_digest((form.get("sign") or "").encode(), expected.encode()):
            return _reply(False, "1001", "sign check failed")
        try:
            payload = json.loads(param)
        except ValueError:
            return _reply(False, "1004", "param is not JSON")
        if not isinstance(payload, dict) or not isinstance(payload.get("waybillNo"), str) or (
                operation is not Operation.track and not isinstance(payload.get("orderNo"), str)):
            return _reply(False, "1004", "missing waybillNo or orderNo")
        return InterceptRequest(payload.get("orderNo", ""), payload["waybillNo"], operation)

    def accepted(self, request: InterceptRequest) -> Reply:
        return _reply(True, "0", "受理成功", {"interceptNo": f"YTO-INT-{request.tracking_no}"})

    def refused_signed(self, request: InterceptRequest) -> Reply:
        return _reply(False, "2001", f"运单 {request.tracking_no} 已签收")

    def cancelled(self, request: InterceptRequest, done: bool) -> Reply:
        return _reply(True, "0", "取消成功") if done else _reply(False, "2006", "无可取消的拦截")

    def status(self, request: InterceptRequest, outcome: Outcome | None) -> Reply:
        if outcome is None:
            data = {"interceptStatus": "PROCESSING"}
        elif outcome is Outcome.intercepted:
            data = {"interceptStatus": "SUCCESS"}
        else:
            data = {"interceptStatus": "FAIL", "reasonCode": "2002", "message": "已派件"}
        return _reply(True, "0", "ok", data)

    def stage(self, request: InterceptRequest, stage: ParcelStage, times: ScanTimes) -> Reply:
        return _reply(True, "0", "ok", {"traces": [
            {"operateType": "GOT", "upload_Time": wall_clock(times.picked_up),
             "processInfo": SCAN_TEXT[ParcelStage.picked_up], "city": PICKUP_SITE},
            {"operateType": OPERATE_TYPES[stage], "upload_Time": wall_clock(times.latest), "processInfo": SCAN_TEXT[stage],
             "city": LATEST_SITE}]})

    def callback(self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int) -> Callback:
        push = {"notifyId": event_id, "orderNo": request.intercept_id, "waybillNo": request.tracking_no,
                "notifyTime": now_millis}
        if outcome is Outcome.intercepted:
            push.update(interceptStatus="SUCCESS", remark="拦截成功")
        else:
            push.update(interceptStatus="FAIL", reasonCode="2002", remark="快件已派送，拦截失败")
        param = json.dumps(push, ensure_ascii=False)
        form = {"app_key": self._app_key, "method": PUSH_METHOD, "v": VERSION, "param": param,
                "sign": yto_sign(param, PUSH_METHOD, VERSION, self._secret)}
        return Callback(event_id, {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(form).encode())
