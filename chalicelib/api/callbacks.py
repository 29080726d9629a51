"""POST /callbacks/{carrier}: carrier result pushes, verified by the carrier's own signature and
answered in the carrier's own ack format."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.context import gateway
from chalicelib.api.responses import api

routes = Blueprint(__name__)

CALLBACK_CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]


@routes.route("/callbacks/{carrier}", methods=["POST"], content_types=CALLBACK_CONTENT_TYPES)
@api
def carrier_callback(carrier: str) -> Response:
    from chalicelib.usecases.callbacks import handle_callback

    gw = gateway()
    request = routes.current_request
    reply = handle_callback(gw.adapters, gw.carrier_results, gw.clock, carrier, request.headers,
                            request.raw_body or b"")
    return Response(body=reply.body, status_code=reply.status, headers=dict(reply.headers))
