"""/v1/merchants/{merchant_id}: a merchant's settings with the calling platform, and its figures."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.context import body, gateway, platform
from chalicelib.api.responses import api, json_response

routes = Blueprint(__name__)


@routes.route("/v1/merchants/{merchant_id}/settings", methods=["GET"])
@api
def get_merchant_settings(merchant_id: str) -> Response:
    caller = platform(routes.current_request)
    return json_response(gateway().merchant_settings.get(caller, merchant_id).model_dump(mode="json"))


@routes.route("/v1/merchants/{merchant_id}/settings", methods=["PUT"], content_types=["application/json"])
@api
def put_merchant_settings(merchant_id: str) -> Response:
    from chalicelib.domain.requests import MerchantSettingsUpdate

    caller = platform(routes.current_request)
    settings = gateway().merchant_settings.put(caller, merchant_id, body(MerchantSettingsUpdate, routes.current_request))
    return json_response(settings.model_dump(mode="json"))


@routes.route("/v1/merchants/{merchant_id}/metrics", methods=["GET"])
@api
def get_merchant_metrics(merchant_id: str) -> Response:
    from chalicelib.usecases.merchant_metrics import metrics_range, metrics_report

    caller = platform(routes.current_request)
    gw = gateway()
    gw.merchant_settings.get(caller, merchant_id)
    wanted = metrics_range(routes.current_request.query_params)
    return json_response(metrics_report(gw.store.merchant_counters, caller.id, merchant_id, wanted.start, wanted.end,
                                        wanted.interval))
