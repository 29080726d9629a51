"""/v1/intercepts: request an interception, read and list them, cancel one."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.context import body, gateway, platform
from chalicelib.api.responses import api, header, json_response
from chalicelib.errors import BadRequest

routes = Blueprint(__name__)

MAX_IDEMPOTENCY_KEY = 255
#: Numbers in query parameters: ASCII digits only (str.isdigit() also takes "²" and other digits int() refuses).
ASCII_NUMBER = re.compile(r"[0-9]{1,9}")
#: A tracking number as a create body takes it (chalicelib/domain/requests.py `TrackingNo`).
TRACKING_NO = re.compile(r"[A-Za-z0-9]{6,32}")


@routes.route("/v1/intercepts", methods=["POST"], content_types=["application/json"])
@api
def create_intercept() -> Response:
    from chalicelib.domain.requests import CreateInterceptRequest

    request = routes.current_request
    caller = platform(request)
    key = valid_idempotency_key(header(request.headers, "idempotency-key"))
    created = gateway().intercepts.create(caller, key, body(CreateInterceptRequest, request))
    return json_response(created.body, 202, {"Idempotent-Replayed": "true"} if created.replayed else None)


@routes.route("/v1/intercepts", methods=["GET"])
@api
def list_intercepts() -> Response:
    caller = platform(routes.current_request)
    return json_response(gateway().intercepts.list(list_query(caller.id, dict(routes.current_request.query_params or {}))))


@routes.route("/v1/intercepts/{intercept_id}", methods=["GET"])
@api
def get_intercept(intercept_id: str) -> Response:
    return json_response(gateway().intercepts.get(platform(routes.current_request), intercept_id).public())


@routes.route("/v1/intercepts/{intercept_id}/cancel", methods=["POST"], content_types=["application/json"])
@api
def cancel_intercept(intercept_id: str) -> Response:
    from chalicelib.domain.requests import CancelRequest

    caller = platform(routes.current_request)
    request = body(CancelRequest, routes.current_request, allow_empty=True)
    record = gateway().intercepts.cancel(caller, intercept_id, request)
    # 202 while the carrier is still to confirm the withdrawal (or its result to arrive)
    return json_response(record.public(), 202 if record.status.value == "cancel_requested" else 200)


def valid_idempotency_key(value: str | None) -> str:
    key = (value or "").strip()
    if not key:
        raise BadRequest("the Idempotency-Key header is required",
                         fields=[{"field": "Idempotency-Key", "problem": "missing"}])
    if len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise BadRequest("the Idempotency-Key header is invalid",
                         fields=[{"field": "Idempotency-Key",
                                  "problem": f"must be 1-{MAX_IDEMPOTENCY_KEY} printable characters"}])
    from chalicelib.usecases.after_sale_events import EVENT_KEY_PREFIX

    if key.startswith(EVENT_KEY_PREFIX):
        raise BadRequest("the Idempotency-Key header is invalid", fields=[{
            "field": "Idempotency-Key",
            "problem": f"must not start with {EVENT_KEY_PREFIX!r} (the keys of POST /v1/after-sale-events)"}])
    return key


_LIST_PARAMS = {"merchant_id", "status", "carrier", "refund_status", "after_sale_id", "created_from", "created_to",
                "tracking_no", "limit", "cursor"}


def list_query(platform_id: str, params: dict[str, str]):
    """The listing's query parameters, validated; 400 naming every bad one."""
    from chalicelib.clock import parse_moment, to_iso
    from chalicelib.domain.models import Carrier, InterceptStatus, RefundStatus
    from chalicelib.store import ListQuery

    problems = [{"field": name, "problem": "unknown query parameter"} for name in params if name not in _LIST_PARAMS]

    def choice(name: str, enum: type) -> Any:
        if name not in params:
            return None
        try:
            return enum(params[name])
        except ValueError:
            problems.append({"field": name, "problem": f"must be one of {', '.join(item.value for item in enum)}"})
            return None

    def moment(name: str) -> str | None:
        if name not in params:
            return None
        try:
            parsed: datetime = parse_moment(params[name])
        except ValueError as problem:
            text = str(problem) if str(problem).startswith(("must", "is")) else "must be an ISO-8601 date-time"
            problems.append({"field": name, "problem": text})
            return None
        return to_iso(parsed)

    status, carrier = choice("status", InterceptStatus), choice("carrier", Carrier)
    refund_status = choice("refund_status", RefundStatus)
    created_from, created_to = moment("created_from"), moment("created_to")
    limit = 50
    if "limit" in params:
        if ASCII_NUMBER.fullmatch(params["limit"]) and 1 <= int(params["limit"]) <= 200:
            limit = int(params["limit"])
        else:
            problems.append({"field": "limit", "problem": "must be an integer from 1 to 200"})
    merchant_id, after_sale_id = params.get("merchant_id"), params.get("after_sale_id")
    for name, value in (("merchant_id", merchant_id), ("after_sale_id", after_sale_id)):
        if value is not None and not (0 < len(value) <= 64):
            problems.append({"field": name, "problem": "must be 1-64 characters"})
    tracking_no = params.get("tracking_no")
    if tracking_no is not None and not TRACKING_NO.fullmatch(tracking_no):
        problems.append({"field": "tracking_no", "problem": "must be 6-32 letters and digits"})
    if problems:
        raise BadRequest("query parameters are invalid", fields=problems)
    return ListQuery(platform_id=platform_id, merchant_id=merchant_id, status=status,
                     carrier=carrier.value if carrier else None, refund_status=refund_status,
                     after_sale_id=after_sale_id, created_from=created_from,
                     created_to=created_to, tracking_no=tracking_no, limit=limit, cursor=params.get("cursor") or None)
