"""J&T as the simulator plays it, written from J&T's open-platform documents (not from the gateway).

Published: the header `digest = base64(md5_raw(bizContent + privateKey))` with `apiAccount` and
`timestamp`, and in every order-family bizContent `customerCode` with the business
`digest = base64(md5_raw(customerCode + UPPER(md5_hex(password + "jadada236t2")) + privateKey))`.
The interception paths, pushes and codes are the gateway's model and appear here as literals.
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

OPERATIONS = {"api/intercept/apply": Operation.intercept, "api/intercept/cancel": Operation.cancel,
              "api/intercept/query": Operation.query, "api/logistics/trace": Operation.track}
SUCCESS_CODE = "1"


def sign(text: str, private_key: str) -> str:
    return base64.b64encode(hashlib.md5((text + private_key).encode("utf-8")).digest()).decode("ascii")


def customer_digest(customer_code: str, password: str, private_key: str) -> str:
    cipher = hashlib.md5((password + "jadada236t2").encode("utf-8")).hexdigest().upper()
    return sign(customer_code + cipher, private_key)


def same(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())
SCAN_TYPES = {ParcelStage.in_transit: "到件扫描", ParcelStage.at_destination_outlet: "网点到件扫描",
              ParcelStage.signed: "快件签收"}


def _reply(code: str, msg: str, data: Any = None) -> Reply:
    return Reply(200, json.dumps({"code": code, "msg": msg, "data": data}, ensure_ascii=False).encode("utf-8"))


class JtCarrier:
    code = "jt"

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self._api_account = credentials["api_account"]
        self._private_key = credentials["private_key"]
        self._customer_code = credentials["customer_code"]
        self._password = credentials["password"]

    def read_request(self, path: str, headers: Mapping[str, str], body: bytes) -> InterceptRequest | Reply:
        operation = OPERATIONS.get(path.strip("/"))
        if operation is None:
            return Reply(404, b'{"code":"404","msg":"not found"}')
        if headers.get("apiaccount") != self._api_account:
            return _reply("145003052", "apiAccount not found")
        form = read_form(body)
        biz_content = (form or {}).get("bizContent", "")
        if not same(headers.get("digest"), sign(biz_content, self._private_key)):
            return _reply("145003050", "digest check failed")
        try:
            payload = json.loads(biz_content)
        except ValueError:
            return _reply("145003053", "bizContent is not JSON")
        if not isinstance(payload, dict):
            return _reply("145003053", "bizContent is not an object")
        if operation is Operation.track:
            if not isinstance(payload.get("billCodes"), str):
                return _reply("145003053", "missing billCodes")
            return InterceptRequest("", payload["billCodes"], operation)
        if payload.get("customerCode") != self._customer_code or not isinstance(payload.get("billCode"), str) \
                or not isinstance(payload.get("txlogisticId"), str):
            return _reply("145003053", "missing customerCode, billCode or txlogisticId")
        if not same(payload.get("digest"), customer_digest(self._customer_code, self._password, self._private_key)):
            return _reply("145003050", "customer digest check failed")
        return InterceptRequest(payload["txlogisticId"], payload["billCode"], operation)

    def accepted(self, request: InterceptRequest) -> Reply:
        return _reply(SUCCESS_CODE, "success", {"interceptNo": f"JT-INT-{request.tracking_no}"})

    def refused_signed(self, request: InterceptRequest) -> Reply:
        return _reply("999001", f"运单 {request.tracking_no} 已签收")

    def cancelled(self, request: InterceptRequest, done: bool) -> Reply:
        return _reply(SUCCESS_CODE, "success") if done else _reply("999006", "无可取消的拦截")

    def status(self, request: InterceptRequest, outcome: Outcome | None) -> Reply:
        if outcome is None:
            data = {"interceptStatus": "10"}
        elif outcome is Outcome.intercepted:
            data = {"interceptStatus": "20"}
        else:
            data = {"interceptStatus": "30", "failCode": "999002", "message": "已派件"}
        return _reply(SUCCESS_CODE, "success", data)

    def stage(self, request: InterceptRequest, stage: ParcelStage, times: ScanTimes) -> Reply:
        return _reply(SUCCESS_CODE, "success", {"details": [
            {"scanType": "快件揽收", "scanTime": wall_clock(times.picked_up), "desc": SCAN_TEXT[ParcelStage.picked_up],
             "scanNetworkName": PICKUP_SITE},
            {"scanType": SCAN_TYPES[stage], "scanTime": wall_clock(times.latest), "desc": SCAN_TEXT[stage],
             "scanNetworkName": LATEST_SITE}]})

    def callback(self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int) -> Callback:
        push = {"pushId": event_id, "txlogisticId": request.intercept_id, "billCode": request.tracking_no,
                "pushTime": now_millis}
        if outcome is Outcome.intercepted:
            push.update(interceptStatus="20", remark="拦截成功")
        else:
            push.update(interceptStatus="30", failCode="999002", remark="快件已派送，拦截失败")
        biz_content = json.dumps(push, ensure_ascii=False)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "apiAccount": self._api_account,
                   "digest": sign(biz_content, self._private_key), "timestamp": str(now_millis)}
        return Callback(event_id, headers, urlencode({"bizContent": biz_content}).encode())
