"""POST /v1/eligibility: the dry run of a create (same body, no side effects)."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.context import body, gateway, platform
from chalicelib.api.responses import api, json_response

routes = Blueprint(__name__)


@routes.route("/v1/eligibility", methods=["POST"], content_types=["application/json"])
@api
def check_eligibility() -> Response:
    from chalicelib.domain.requests import CreateInterceptRequest

    caller = platform(routes.current_request)
    return json_response(gateway().intercepts.dry_run(caller, body(CreateInterceptRequest, routes.current_request)))
