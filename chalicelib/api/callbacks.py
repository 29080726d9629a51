"""POST /callbacks/{carrier}: carrier result pushes, verified by the carrier's own signature and
answered in the carrier's own ack format."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.context import gateway
from chalicelib.api.responses import api
from chalicelib.errors import PayloadTooLarge

routes = Blueprint(__name__)

CALLBACK_CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]
#: Carriers push one result at a time, a few hundred bytes.
MAX_PUSH_BYTES = 256 * 1024


@routes.route("/callbacks/{carrier}", methods=["POST"], content_types=CALLBACK_CONTENT_TYPES)
@api
def carrier_callback(carrier: str) -> Response:
    from chalicelib.usecases.callbacks import handle_callback

    request = routes.current_request
    if len(request.raw_body or b"") > MAX_PUSH_BYTES:
        raise PayloadTooLarge(f"a carrier push is at most {MAX_PUSH_BYTES} bytes")
    gw = gateway()
    reply = handle_callback(gw.adapters, gw.carrier_results, gw.clock, carrier, request.headers,
                            request.raw_body or b"", tracking=gw.store.tracking)
    return Response(body=reply.body, status_code=reply.status, headers=dict(reply.headers))
