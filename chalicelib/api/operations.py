"""/v1/operations: the on-call operator's view across every platform (an operator key, never a
platform key). The logic is chalicelib/operations/."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.context import body, gateway, operator
from chalicelib.api.responses import api, json_response

routes = Blueprint(__name__)


@routes.route("/v1/operations/carriers", methods=["GET"])
@api
def carriers() -> Response:
    operator(routes.current_request)
    return json_response(gateway().operations.carriers())


@routes.route("/v1/operations/queues", methods=["GET"])
@api
def queues() -> Response:
    operator(routes.current_request)
    return json_response(gateway().operations.queues())


@routes.route("/v1/operations/queues/{name}/redrive", methods=["POST"], content_types=["application/json"])
@api
def redrive(name: str) -> Response:
    from chalicelib.domain.requests import RedriveRequest

    operator(routes.current_request)
    request = body(RedriveRequest, routes.current_request, allow_empty=True)
    return json_response(gateway().operations.redrive(name, request.max_messages))


@routes.route("/v1/operations/intercepts", methods=["GET"])
@api
def intercepts() -> Response:
    operator(routes.current_request)
    return json_response(gateway().operations.intercepts(dict(routes.current_request.query_params or {})))


@routes.route("/v1/operations/webhook-endpoints", methods=["GET"])
@api
def webhook_endpoints() -> Response:
    operator(routes.current_request)
    return json_response(gateway().operations.webhook_endpoints())
