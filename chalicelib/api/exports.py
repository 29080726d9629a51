"""/v1/exports/fees: start a fee reconciliation export run, or show the current export and its progress."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.context import body, gateway, platform
from chalicelib.api.responses import api, json_response

routes = Blueprint(__name__)


@routes.route("/v1/exports/fees", methods=["POST"], content_types=["application/json"])
@api
def create_fee_export() -> Response:
    from chalicelib.domain.requests import FeeExportRequest

    caller = platform(routes.current_request)
    request = body(FeeExportRequest, routes.current_request)
    return json_response(gateway().fee_exports.export(caller.id, request.period), 202)


@routes.route("/v1/exports/fees/{period}", methods=["GET"])
@api
def get_fee_export(period: str) -> Response:
    return json_response(gateway().fee_exports.describe(platform(routes.current_request).id, period))
