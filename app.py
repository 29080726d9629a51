"""Parcel Intercept Gateway: routes, queue workers and schedules, wired to chalicelib."""
from chalice import Chalice, Rate, Response

from chalicelib import observability
from chalicelib.auth import authenticate
from chalicelib.callbacks import handle_callback
from chalicelib.config import DISPATCH_QUEUE
from chalicelib.dispatch import messages_from_event
from chalicelib.health import check_health
from chalicelib.runtime import gateway
from chalicelib.sweeps import requeue_unsent
from chalicelib.web import JSON, api, header, json_response

app = Chalice(app_name="parcel-intercept-gateway")
observability.configure_lambda_logging()

CALLBACK_CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]


def _platform():
    return authenticate(gateway().store, header(app.current_request.headers, "authorization"))


@app.route("/health", methods=["GET"])
@api
def health() -> Response:
    healthy, checks = check_health(gateway())
    return json_response({"status": "ok" if healthy else "unavailable", "checks": checks}, 200 if healthy else 503)


@app.route("/v1/intercepts", methods=["POST"], content_types=["application/json"])
@api
def create_intercept() -> Response:
    request = app.current_request
    created = gateway().intercepts.create(_platform(), header(request.headers, "idempotency-key"), request.raw_body)
    return json_response(created.body, 202, {"Idempotent-Replayed": "true"} if created.replayed else None)


@app.route("/v1/intercepts", methods=["GET"])
@api
def list_intercepts() -> Response:
    return json_response(gateway().intercepts.list(_platform(), app.current_request.query_params))


@app.route("/v1/intercepts/{intercept_id}", methods=["GET"])
@api
def get_intercept(intercept_id: str) -> Response:
    return json_response(gateway().intercepts.get(_platform(), intercept_id).public())


@app.route("/v1/intercepts/{intercept_id}/cancel", methods=["POST"], content_types=["application/json"])
@api
def cancel_intercept(intercept_id: str) -> Response:
    platform = _platform()
    return json_response(gateway().intercepts.cancel(platform, intercept_id, app.current_request.raw_body).public())


@app.route("/callbacks/{carrier}", methods=["POST"], content_types=CALLBACK_CONTENT_TYPES)
@api
def carrier_callback(carrier: str) -> Response:
    gw = gateway()
    request = app.current_request
    reply = handle_callback(gw.adapters, gw.intercepts, gw.clock, carrier, request.headers, request.raw_body or b"")
    return Response(body=reply.body, status_code=reply.status, headers=dict(reply.headers))


@app.on_sqs_message(queue=DISPATCH_QUEUE, batch_size=10)
def dispatch(event):
    return gateway().dispatcher.handle_batch(messages_from_event(event))


@app.schedule(Rate(1, unit=Rate.MINUTES))
def requeue_unsent_dispatches(event):
    gw = gateway()
    requeue_unsent(gw.store, gw.queues, gw.clock, gw.settings.dispatch_queue,
                   gw.settings.pending_requeue_after_seconds)


# -- API description ----------------------------------------------------------------------------

@app.route("/openapi.json", methods=["GET"])
@api
def openapi_document() -> Response:
    from chalicelib import openapi  # built on demand: its models would add to every cold start

    return Response(body=openapi.document_json(), status_code=200, headers=JSON)


@app.route("/docs", methods=["GET"])
def api_docs() -> Response:
    from chalicelib import openapi

    return Response(body=openapi.DOCS_HTML, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})


@app.middleware("all")
def correlate_logs(event, get_response):
    return observability.with_correlation(event, get_response)
