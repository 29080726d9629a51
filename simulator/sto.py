"""STO as the simulator plays it, written from STO's documents (not from the gateway's protocol module).

STO's open platform takes a form `api_name, content, from_appkey, from_code, to_appkey, to_code,
data_digest` with `data_digest = base64(md5_raw(content + secretKey))` (STO's envelope, the same
scheme as Cainiao LINK). `STO_TRACE_QUERY_COMMON` is published; STO publishes no interception API,
so the api names and STO's own `to_appkey`/`to_code` below are the gateway's model too.
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

INTERCEPT_API = "STO_INTERCEPT_APPLY"   # modelled
CANCEL_API = "STO_INTERCEPT_CANCEL"     # modelled
QUERY_API = "STO_INTERCEPT_QUERY"       # modelled
TRACK_API = "STO_TRACE_QUERY_COMMON"    # published
PUSH_API = "STO_INTERCEPT_NOTIFY"       # modelled
STO_APPKEY = "sto_intercept"            # modelled: STO's own app key for these APIs
STO_CODE = "sto_intercept"


def data_digest(content: str, secret: str) -> str:
    """STO's data_digest: base64 of the raw MD5 of content followed by the secret (UTF-8)."""
    return base64.b64encode(hashlib.md5(content.encode("utf-8") + secret.encode("utf-8")).digest()).decode("ascii")


OPERATIONS = {INTERCEPT_API: Operation.intercept, CANCEL_API: Operation.cancel, QUERY_API: Operation.query,
              TRACK_API: Operation.track}
SCAN_TYPES = {ParcelStage.in_transit: "到件", ParcelStage.at_destination_outlet: "派件网点到件",
              ParcelStage.signed: "签收"}


def _reply(success: bool, code: str | None, message: str | None, data: Any = None) -> Reply:
    # STO answers success as the string "true"/"false"
    return Reply(200, json.dumps({"success": "true" if success else "false", "errorCode": code, "errorMsg": message,
                                  "data": data}, ensure_ascii=False).encode("utf-8"))


class StoCarrier:
    code = "sto"

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self._app_key = credentials["app_key"]
        self._secret = credentials["secret"]
        self._customer_code = credentials["customer_code"]

    def read_request(self, path: str, headers: Mapping[str, str], body: bytes) -> InterceptRequest | Reply:
        form = read_form(body)
        if form is None:
            return _reply(False, "S04", "body is not a form")
        operation = OPERATIONS.get(form.get("api_name", ""))
        if operation is None:
            return _reply(False, "S03", f"no such api_name: {form.get('api_name')}")
        if form.get("from_appkey") != self._app_key or form.get("from_code") != self._customer_code \
                or form.get("to_appkey") != STO_APPKEY:
            return _reply(False, "S02", "unknown from_appkey")
        content = form.get("content", "")
        if not hmac.compare_digest((form.get("data_digest") or "").encode(), data_digest(content, self._secret).encode()):
            return _reply(False, "S01", "data_digest check failed")
        try:
            payload = json.loads(content)
        except ValueError:
            return _reply(False, "S04", "content is not JSON")
        if not isinstance(payload, dict):
            return _reply(False, "S04", "content is not an object")
        if operation is Operation.track:
            numbers = payload.get("waybillNoList")
            if not isinstance(numbers, list) or not numbers or not isinstance(numbers[0], str):
                return _reply(False, "S04", "missing waybillNoList")
            return InterceptRequest("", numbers[0], operation)
        if not isinstance(payload.get("waybillNo"), str) or not isinstance(payload.get("orderId"), str):
            return _reply(False, "S04", "missing waybillNo or orderId")
        return InterceptRequest(payload["orderId"], payload["waybillNo"], operation)

    def accepted(self, request: InterceptRequest) -> Reply:
        return _reply(True, None, None, {"interceptId": f"STO-INT-{request.tracking_no}"})

    def refused_signed(self, request: InterceptRequest) -> Reply:
        return _reply(False, "B01", f"运单 {request.tracking_no} 已签收")

    def cancelled(self, request: InterceptRequest, done: bool) -> Reply:
        return _reply(True, None, None) if done else _reply(False, "B06", "无可取消的拦截")

    def status(self, request: InterceptRequest, outcome: Outcome | None) -> Reply:
        if outcome is None:
            data = {"interceptStatus": "0"}
        elif outcome is Outcome.intercepted:
            data = {"interceptStatus": "1"}
        else:
            data = {"interceptStatus": "2", "failCode": "B02", "message": "已派件"}
        return _reply(True, None, None, data)

    def stage(self, request: InterceptRequest, stage: ParcelStage, times: ScanTimes) -> Reply:
        return _reply(True, None, None, {"traces": [
            {"scanType": "收件", "opTime": wall_clock(times.picked_up), "memo": SCAN_TEXT[ParcelStage.picked_up],
             "opOrgName": PICKUP_SITE},
            {"scanType": SCAN_TYPES[stage], "opTime": wall_clock(times.latest), "memo": SCAN_TEXT[stage],
             "opOrgName": LATEST_SITE}]})

    def callback(self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int) -> Callback:
        push = {"notifyId": event_id, "orderId": request.intercept_id, "waybillNo": request.tracking_no,
                "notifyTime": now_millis}
        if outcome is Outcome.intercepted:
            push.update(interceptStatus="1", remark="拦截成功")
        else:
            push.update(interceptStatus="2", failCode="B02", remark="快件已派送，拦截失败")
        content = json.dumps(push, ensure_ascii=False)
        form = {"api_name": PUSH_API, "content": content, "from_appkey": STO_APPKEY, "from_code": STO_CODE,
                "to_appkey": self._app_key, "to_code": self._customer_code, "data_digest": data_digest(content, self._secret)}
        return Callback(event_id, {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(form).encode())
