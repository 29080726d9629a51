"""The after-sale side of an interception: the merchant's refund decision, and claims."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.context import body, gateway, platform
from chalicelib.api.responses import api, json_response

routes = Blueprint(__name__)


@routes.route("/v1/intercepts/{intercept_id}/refund-decision", methods=["POST"], content_types=["application/json"])
@api
def refund_decision(intercept_id: str) -> Response:
    from chalicelib.domain.requests import RefundDecisionRequest

    caller = platform(routes.current_request)
    request = body(RefundDecisionRequest, routes.current_request)
    return json_response(gateway().refund_decisions.decide(caller, intercept_id, request).public())


@routes.route("/v1/after-sale-events", methods=["POST"], content_types=["application/json"])
@api
def after_sale_event() -> Response:
    """The platform's refund-requested event: intercepted when the merchant's auto_intercept rule covers it."""
    from chalicelib.domain.requests import AfterSaleEventRequest

    caller = platform(routes.current_request)
    handled = gateway().after_sale_events.handle(caller, body(AfterSaleEventRequest, routes.current_request))
    return json_response(handled.body, 200, {"Idempotent-Replayed": "true"} if handled.replayed else None)


@routes.route("/v1/after-sales/{after_sale_id}", methods=["GET"])
@api
def get_after_sale(after_sale_id: str) -> Response:
    return json_response(gateway().intercepts.after_sale(platform(routes.current_request), after_sale_id))


@routes.route("/v1/after-sales/{after_sale_id}/refund-decision", methods=["POST"], content_types=["application/json"])
@api
def after_sale_refund_decision(after_sale_id: str) -> Response:
    from chalicelib.domain.requests import RefundDecisionRequest

    caller = platform(routes.current_request)
    request = body(RefundDecisionRequest, routes.current_request)
    return json_response(gateway().refund_decisions.decide_after_sale(caller, after_sale_id, request))


@routes.route("/v1/intercepts/{intercept_id}/claims", methods=["POST"], content_types=["application/json"])
@api
def open_claim(intercept_id: str) -> Response:
    from chalicelib.domain.requests import ClaimRequest

    caller = platform(routes.current_request)
    claim = gateway().claims.open(caller, intercept_id, body(ClaimRequest, routes.current_request))
    return json_response(claim.model_dump(mode="json"), 201)


@routes.route("/v1/intercepts/{intercept_id}/claims/{claim_id}/resolution", methods=["POST"],
              content_types=["application/json"])
@api
def resolve_claim(intercept_id: str, claim_id: str) -> Response:
    from chalicelib.domain.requests import ClaimResolutionRequest

    caller = platform(routes.current_request)
    request = body(ClaimResolutionRequest, routes.current_request)
    return json_response(gateway().claims.resolve(caller, intercept_id, claim_id, request).model_dump(mode="json"))
