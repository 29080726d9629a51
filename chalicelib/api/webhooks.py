"""The platform's webhook endpoint, and the log of webhooks sent about an interception."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.context import body, gateway, platform
from chalicelib.api.responses import api, json_response

routes = Blueprint(__name__)


@routes.route("/v1/intercepts/{intercept_id}/webhook-deliveries", methods=["GET"])
@api
def webhook_deliveries(intercept_id: str) -> Response:
    from chalicelib.webhooks.delivery import public_delivery

    gw = gateway()
    record = gw.intercepts.get(platform(routes.current_request), intercept_id)
    return json_response({"items": [public_delivery(item) for item in gw.store.deliveries.of_intercept(record.id)]})


@routes.route("/v1/webhook-endpoint", methods=["PUT"], content_types=["application/json"])
@api
def register_webhook_endpoint() -> Response:
    from chalicelib.domain.requests import EndpointRequest

    caller = platform(routes.current_request)
    return json_response(gateway().webhook_endpoints.register(caller, body(EndpointRequest, routes.current_request)))


@routes.route("/v1/webhook-endpoint", methods=["GET"])
@api
def show_webhook_endpoint() -> Response:
    return json_response(gateway().webhook_endpoints.show(platform(routes.current_request)))
