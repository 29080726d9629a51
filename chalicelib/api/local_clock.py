"""POST /local/clock: move the local stage's clock forward (404 on every other stage)."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.context import body, gateway
from chalicelib.api.responses import api, json_response
from chalicelib.errors import NotFound

routes = Blueprint(__name__)


@routes.route("/local/clock", methods=["POST"], content_types=["application/json"])
@api
def local_clock() -> Response:
    from chalicelib.clock import OffsetClock, to_iso
    from chalicelib.domain.requests import AdvanceRequest

    gw = gateway()
    if not gw.settings.is_local or not isinstance(gw.clock, OffsetClock):
        raise NotFound("the clock can only be moved in the local stage")
    request = body(AdvanceRequest, routes.current_request)
    offset = gw.store.local_clock.advance(round(request.advance_seconds, 3))
    gw.clock.use_offset(offset)
    return json_response({"now": to_iso(gw.clock.now()), "offset_seconds": offset})
