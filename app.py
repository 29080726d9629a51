"""Parcel Intercept Gateway: the HTTP API's blueprints, the queue workers and the schedules.

Every Lambda function imports this whole module, so it imports only what wiring needs; each
handler imports its own logic on first use. A function then loads the modules its handlers use
and no others: the dispatch worker never loads the eligibility rules, the health check never
loads a pydantic model.
"""
from chalice import Chalice, Cron, Rate

from chalicelib import observability
from chalicelib.api import (
    after_sales,
    callbacks,
    console,
    docs,
    eligibility,
    exports,
    health,
    intercepts,
    local_clock,
    merchants,
    operations,
    webhooks,
)
from chalicelib.api.context import gateway
from chalicelib.api.responses import in_error_envelope, routed
from chalicelib.config import DISPATCH_QUEUE, EXPORT_PARTS_QUEUE, NOTIFY_QUEUE, TABLE_STREAM_ARN

app = Chalice(app_name="parcel-intercept-gateway")
observability.configure_lambda_logging()

for area in (health, intercepts, eligibility, callbacks, merchants, exports, after_sales, webhooks, operations,
             local_clock, docs, console):
    app.register_blueprint(area.routes)


def _messages(event):
    from chalicelib.queues import messages_from_event

    return messages_from_event(event)


# -- queue workers ------------------------------------------------------------------------------

@app.on_sqs_message(queue=DISPATCH_QUEUE, batch_size=10)
def dispatch(event):
    return gateway().dispatcher.handle_batch(_messages(event))


@app.on_sqs_message(queue=NOTIFY_QUEUE, batch_size=10)
def notify(event):
    return gateway().webhook_delivery.handle_batch(_messages(event))


@app.on_sqs_message(queue=EXPORT_PARTS_QUEUE, batch_size=1)
def export_fee_parts(event):
    """One part of a fee export run per invocation, so a part has the function's whole timeout."""
    return gateway().fee_export_parts.handle_batch(_messages(event))


@app.on_dynamodb_record(stream_arn=TABLE_STREAM_ARN, batch_size=100, starting_position="TRIM_HORIZON")
def relay_changes(event):
    """Every committed change's webhooks, from the table's stream onto the notify queue."""
    return gateway().relay.handle(event)


@app.on_dynamodb_record(stream_arn=TABLE_STREAM_ARN, batch_size=100, starting_position="TRIM_HORIZON")
def count_merchant_metrics(event):
    """Every committed change of a record added to its merchant's metrics counters."""
    return gateway().metrics_counting.handle(event)


# -- schedules (chalicelib/schedules/, one module each) -------------------------------------------

@app.schedule(Rate(1, unit=Rate.MINUTES))
def requeue_unsent_dispatches(event):
    gateway().requeue_unsent()


@app.schedule(Rate(2, unit=Rate.MINUTES))
def poll_overdue_carrier_results(event):
    gateway().poll_overdue()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def sweep_refund_deadlines(event):
    gateway().sweep_refund_deadlines()


@app.schedule(Rate(1, unit=Rate.MINUTES))
def resend_due_webhooks(event):
    gateway().resend_due_webhooks()


@app.schedule(Cron(30, 16, "*", "*", "?", "*"))
def export_fees_daily(event):
    """00:30 Asia/Shanghai: a run of yesterday's fee export for every platform."""
    gateway().export_fees_daily()


@app.middleware("all")
def correlate_logs(event, get_response):
    return observability.with_correlation(event, get_response)


@app.middleware("http")
def one_error_shape(event, get_response):
    return in_error_envelope(get_response(event))


@app.middleware("http")
def unknown_paths_not_found(event, get_response):
    return routed(event, get_response, app.routes)
