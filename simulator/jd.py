"""JD Logistics as the simulator plays it, written from JD's open-platform documents (not from the
gateway's protocol module).

JOS takes a form of `method, app_key, access_token, timestamp, v, 360buy_param_json, sign` with
`sign = UPPER(md5_hex(app_secret + name value ... (names sorted, sign left out) + app_secret))`.
`jingdong.ldop.receive.order.intercept` takes `vendorCode, deliveryId, interceptReason` and the
operator fields; JD answers asynchronously and is polled by calling again (`stateCode` 100 success,
108 already done). It pushes nothing. Modelled (as in the gateway): the result object's name,
the "processing" and refusal codes, the trace's shape and titles.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Mapping

from chalicelib.domain.stages import ParcelStage
from simulator.forms import read_form
from simulator.protocol import (
    SCAN_TEXT,
    Callback,
    InterceptRequest,
    Operation,
    Outcome,
    Reply,
    ScanTimes,
    wall_clock,
)

INTERCEPT = "jingdong.ldop.receive.order.intercept"
TRACE = "jingdong.ldop.receive.trace.get"
SUCCESS, ALREADY_DONE, PROCESSING = 100, 108, 102          # the first two published
SIGNED, OUT_FOR_DELIVERY, NOTHING_TO_CANCEL = 103, 104, 106  # modelled
TITLES = {ParcelStage.in_transit: "分拣", ParcelStage.at_destination_outlet: "站点验货", ParcelStage.signed: "妥投"}


def jos_sign(params: Mapping[str, str], secret: str) -> str:
    joined = "".join(name + params[name] for name in sorted(params) if name != "sign")
    return hashlib.md5((secret + joined + secret).encode("utf-8")).hexdigest().upper()


def _error(code: str, message: str) -> Reply:
    return Reply(200, json.dumps({"error_response": {"code": code, "zh_desc": message, "en_desc": message}},
                                 ensure_ascii=False).encode("utf-8"))


def _answer(method: str, result: dict[str, Any], member: str = "resultInfo") -> Reply:
    return Reply(200, json.dumps({method.replace(".", "_") + "_responce": {"code": "0", member: result}},
                                 ensure_ascii=False).encode("utf-8"))


def _state(code: int, message: str) -> Reply:
    return _answer(INTERCEPT, {"stateCode": code, "stateMessage": message})


class JdCarrier:
    code = "jd"
    #: its requests carry no id of ours: instructions are kept by waybill
    keyed_by_waybill = True
    #: a repeated interception call is JD's poll: the core answers it with the instruction's status
    polled_by_repeating = True

    def __init__(self, credentials: Mapping[str, str]) -> None:
        self._app_key = credentials["app_key"]
        self._app_secret = credentials["app_secret"]
        self._access_token = credentials["access_token"]
        self._customer_code = credentials["customer_code"]

    def read_request(self, path: str, headers: Mapping[str, str], body: bytes) -> InterceptRequest | Reply:
        form = read_form(body)
        if form is None or not all(form.get(name) for name in ("method", "app_key", "timestamp", "v", "sign",
                                                                  "360buy_param_json")):
            return _error("1", "missing system parameter")
        if form["app_key"] != self._app_key:
            return _error("20", "app_key not authorised")
        if form.get("access_token") != self._access_token:
            return _error("19", "invalid access_token")
        if not hmac.compare_digest(form["sign"].encode(), jos_sign(form, self._app_secret).encode()):
            return _error("9", "invalid sign")
        try:
            params = json.loads(form["360buy_param_json"])
        except ValueError:
            return _error("1", "360buy_param_json is not JSON")
        if not isinstance(params, dict):
            return _error("1", "360buy_param_json is not an object")
        if form["method"] == TRACE:
            # a trace names no merchant: a gateway holding only merchants' own accounts asks without one
            if params.get("customerCode") not in (None, self._customer_code) \
                    or not isinstance(params.get("waybillCode"), str):
                return _answer(TRACE, {"code": 101, "msg": "customerCode or waybillCode wrong", "data": None},
                               "querytrace_result")
            return InterceptRequest(params["waybillCode"], params["waybillCode"], Operation.track)
        if form["method"] != INTERCEPT:
            return _error("22", f"no such method {form['method']}")
        if params.get("vendorCode") != self._customer_code or not isinstance(params.get("deliveryId"), str) \
                or not params.get("interceptReason"):
            return _state(101, "vendorCode, deliveryId and interceptReason are required")
        return InterceptRequest(params["deliveryId"], params["deliveryId"], Operation.intercept)

    def accepted(self, request: InterceptRequest) -> Reply:
        return _state(PROCESSING, "拦截请求已受理")

    def refused_signed(self, request: InterceptRequest) -> Reply:
        return _state(SIGNED, f"运单 {request.tracking_no} 已妥投")

    def cancelled(self, request: InterceptRequest, done: bool) -> Reply:  # JD has no withdrawal
        return _state(NOTHING_TO_CANCEL, "不支持撤销拦截")

    def status(self, request: InterceptRequest, outcome: Outcome | None) -> Reply:
        if outcome is None:
            return _state(PROCESSING, "拦截处理中")
        if outcome is Outcome.intercepted:
            return _state(ALREADY_DONE, "运单已经拦截成功")
        return _state(OUT_FOR_DELIVERY, "配送中，拦截失败")

    def stage(self, request: InterceptRequest, stage: ParcelStage, times: ScanTimes) -> Reply:
        data = [{"waybillCode": request.tracking_no, "opeTitle": title, "opeRemark": SCAN_TEXT[scanned],
                 "opeTime": wall_clock(at, "%Y/%m/%d %H:%M:%S")}
                for title, scanned, at in (("揽收", ParcelStage.picked_up, times.picked_up),
                                           (TITLES[stage], stage, times.latest))]
        return _answer(TRACE, {"code": 100, "msg": "ok", "data": data}, "querytrace_result")

    def callback(self, request: InterceptRequest, outcome: Outcome, event_id: str, now_millis: int) -> Callback:
        raise NotImplementedError("JD pushes no interception result")
