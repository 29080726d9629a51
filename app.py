"""Parcel Intercept Gateway: routes, queue workers and schedules, wired to chalicelib.

Every Lambda function imports this whole module, so it imports only what wiring needs; each
handler imports its own logic on first use. A function then loads the modules its handlers use
and no others: the dispatch worker never loads the eligibility rules, the health check never
loads a pydantic model.
"""
from chalice import Chalice, Cron, Rate, Response

from chalicelib import observability
from chalicelib.api.http import JSON, api, header, json_response
from chalicelib.config import DISPATCH_QUEUE, NOTIFY_QUEUE

app = Chalice(app_name="parcel-intercept-gateway")
observability.configure_lambda_logging()

CALLBACK_CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain"]


def gateway():
    from chalicelib.runtime import gateway as current

    return current()


def _platform():
    from chalicelib.api.auth import authenticate

    return authenticate(gateway().store, header(app.current_request.headers, "authorization"))


def _messages(event):
    from chalicelib.queues import messages_from_event

    return messages_from_event(event)


@app.route("/health", methods=["GET"])
@api
def health() -> Response:
    from chalicelib.api.health import check_health

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
    from chalicelib.usecases.callbacks import handle_callback

    gw = gateway()
    request = app.current_request
    reply = handle_callback(gw.adapters, gw.intercepts, gw.clock, carrier, request.headers, request.raw_body or b"")
    return Response(body=reply.body, status_code=reply.status, headers=dict(reply.headers))


@app.on_sqs_message(queue=DISPATCH_QUEUE, batch_size=10)
def dispatch(event):
    return gateway().dispatcher.handle_batch(_messages(event))


@app.schedule(Rate(1, unit=Rate.MINUTES))
def requeue_unsent_dispatches(event):
    from chalicelib.schedules.sweeps import requeue_unsent

    gw = gateway()
    requeue_unsent(gw.store, gw.queues, gw.clock, gw.settings.dispatch_queue,
                   gw.settings.pending_requeue_after_seconds)


@app.schedule(Rate(2, unit=Rate.MINUTES))
def poll_overdue_carrier_results(event):
    from chalicelib.schedules.sweeps import poll_overdue_results

    gw = gateway()
    poll_overdue_results(gw.store, gw.adapters, gw.intercepts, gw.clock, gw.settings.callback_url,
                         gw.settings.poll_submitted_after_seconds, breaker=gw.breaker)


# -- eligibility dry run and merchant settings -------------------------------------------------

@app.route("/v1/eligibility", methods=["POST"], content_types=["application/json"])
@api
def check_eligibility() -> Response:
    return json_response(gateway().intercepts.dry_run(_platform(), app.current_request.raw_body))


@app.route("/v1/merchants/{merchant_id}/settings", methods=["GET"])
@api
def get_merchant_settings(merchant_id: str) -> Response:
    return json_response(gateway().merchants.get(_platform(), merchant_id).model_dump(mode="json"))


@app.route("/v1/merchants/{merchant_id}/settings", methods=["PUT"], content_types=["application/json"])
@api
def put_merchant_settings(merchant_id: str) -> Response:
    platform = _platform()
    settings = gateway().merchants.put(platform, merchant_id, app.current_request.raw_body)
    return json_response(settings.model_dump(mode="json"))


# -- fee exports and merchant metrics ----------------------------------------------------------

@app.route("/v1/exports/fees", methods=["POST"], content_types=["application/json"])
@api
def create_fee_export() -> Response:
    from chalicelib.api.bodies import parse_model
    from chalicelib.domain.requests import FeeExportRequest

    platform = _platform()
    request = parse_model(FeeExportRequest, app.current_request.raw_body)
    return json_response(gateway().exports.export(platform.id, request.period), 201)


@app.route("/v1/exports/fees/{period}", methods=["GET"])
@api
def get_fee_export(period: str) -> Response:
    return json_response(gateway().exports.describe(_platform().id, period))


@app.route("/v1/merchants/{merchant_id}/metrics", methods=["GET"])
@api
def get_merchant_metrics(merchant_id: str) -> Response:
    from chalicelib.usecases.merchant_metrics import metrics_report

    platform = _platform()
    gw = gateway()
    gw.merchants.get(platform, merchant_id)
    return json_response(metrics_report(gw.store, platform.id, merchant_id, app.current_request.query_params))


@app.schedule(Cron(30, 16, "*", "*", "?", "*"))
def export_fees_daily(event):
    """00:30 Asia/Shanghai: yesterday's fee export for every platform."""
    gateway().exports.export_previous_day()


# -- after-sale: refund decisions and deadlines, claims, webhooks to platforms, the local clock ----


@app.route("/v1/intercepts/{intercept_id}/refund-decision", methods=["POST"], content_types=["application/json"])
@api
def refund_decision(intercept_id: str) -> Response:
    platform = _platform()
    return json_response(gateway().aftersale.decide(platform, intercept_id, app.current_request.raw_body).public())


@app.route("/v1/intercepts/{intercept_id}/claims", methods=["POST"], content_types=["application/json"])
@api
def open_claim(intercept_id: str) -> Response:
    platform = _platform()
    claim = gateway().aftersale.open_claim(platform, intercept_id, app.current_request.raw_body)
    return json_response(claim.model_dump(mode="json"), 201)


@app.route("/v1/intercepts/{intercept_id}/claims/{claim_id}/resolution", methods=["POST"],
           content_types=["application/json"])
@api
def resolve_claim(intercept_id: str, claim_id: str) -> Response:
    platform = _platform()
    claim = gateway().aftersale.resolve_claim(platform, intercept_id, claim_id, app.current_request.raw_body)
    return json_response(claim.model_dump(mode="json"))


@app.route("/v1/intercepts/{intercept_id}/webhook-deliveries", methods=["GET"])
@api
def webhook_deliveries(intercept_id: str) -> Response:
    from chalicelib.webhooks.delivery import public_delivery

    gw = gateway()
    record = gw.intercepts.get(_platform(), intercept_id)
    return json_response({"items": [public_delivery(item) for item in gw.store.list_deliveries(record.id)]})


@app.route("/v1/webhook-endpoint", methods=["PUT"], content_types=["application/json"])
@api
def register_webhook_endpoint() -> Response:
    platform = _platform()
    return json_response(gateway().webhook_endpoints.register(platform, app.current_request.raw_body))


@app.route("/v1/webhook-endpoint", methods=["GET"])
@api
def show_webhook_endpoint() -> Response:
    return json_response(gateway().webhook_endpoints.show(_platform()))


@app.route("/local/clock", methods=["POST"], content_types=["application/json"])
@api
def local_clock() -> Response:
    from chalicelib.api.local_clock import advance as advance_local_clock

    gw = gateway()
    return json_response(advance_local_clock(gw.settings.is_local, gw.store, gw.clock, app.current_request.raw_body))


@app.on_sqs_message(queue=NOTIFY_QUEUE, batch_size=10)
def notify(event):
    return gateway().webhook_delivery.handle_batch(_messages(event))


@app.schedule(Rate(1, unit=Rate.MINUTES))
def sweep_refund_deadlines(event):
    gateway().aftersale.sweep_refund_deadlines()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def resend_due_webhooks(event):
    gateway().webhook_delivery.resend_due()


# -- API description ----------------------------------------------------------------------------

@app.route("/openapi.json", methods=["GET"])
@api
def openapi_document() -> Response:
    from chalicelib.api import openapi

    return Response(body=openapi.document_json(), status_code=200, headers=JSON)


@app.route("/docs", methods=["GET"])
def api_docs() -> Response:
    from chalicelib.api import openapi

    return Response(body=openapi.DOCS_HTML, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})


@app.middleware("all")
def correlate_logs(event, get_response):
    return observability.with_correlation(event, get_response)
