"""Cost model: what one interception costs on AWS, from the calls the gateway actually makes.

Drives N interceptions through the whole lifecycle in-process (moto for AWS, the ZTO simulator on
loopback for the carrier, Chalice's test client for API Gateway, a queue pump for Lambda's SQS
event source mapping, a loopback webhook endpoint for the platform):

    create (POST /v1/intercepts) -> dispatch (SQS worker calls the carrier) -> callback
    (POST /callbacks/zto: intercepted, which decides the refund automatically) -> webhooks (the
    notify worker delivers every event to the platform)

with the outbox relay (the table's stream to the notify queue) run after each of the first
three, as Lambda's stream event source mapping would, and metered as its own step.

and counts every AWS API call by step, service and operation (a botocore event hook, see
`bench/aws_meter.py`), the DynamoDB request units an on-demand table would bill, SQS requests
(the event source mapping's receives and deletes included), Lambda invocations, API Gateway
requests and CloudWatch Logs bytes. Schedules cost the same whatever the volume; their idle cost
per month is printed apart.

Prices: AWS on-demand list prices, us-east-1 (N. Virginia), as published in November 2026; the
Lambda durations are assumptions (the carrier's latency dominates dispatch) and are printed. API
Gateway is priced as `make package` deploys it by default, an HTTP API with its access log
(`--api rest`: the REST API, $3.50 instead of $1.00 per million requests, no access log).

    python -m bench.lifecycle_cost [--count 100] [--api http|rest] [--json]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                   "STAGE": "test"})
os.environ.pop("AWS_ENDPOINT_URL", None)

import boto3  # noqa: E402
from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

import app as app_module  # noqa: E402
from bench.aws_meter import AwsMeter, serialised_aws_calls  # noqa: E402
from chalicelib import runtime  # noqa: E402
from chalicelib.carriers import build_adapters  # noqa: E402
from chalicelib.carriers.http import CarrierHttp  # noqa: E402
from chalicelib.clock import FixedClock, to_iso  # noqa: E402
from chalicelib.config import Settings  # noqa: E402
from chalicelib.domain.models import InterceptStatus, Platform, PolicyName  # noqa: E402
from chalicelib.observability import JsonFormatter  # noqa: E402
from local.lambda_events import scheduled_event  # noqa: E402
from local.pump import QueuePump  # noqa: E402
from local.resources import DEMO_MERCHANT_ID, create_resources, demo_merchant, seed_platform  # noqa: E402
from local.stream_pump import StreamPump, in_process_streams_client  # noqa: E402
from local.webhook_receiver import WebhookReceiver  # noqa: E402
from simulator import CarrierSimulator  # noqa: E402
from simulator.protocol import InterceptRequest, Outcome  # noqa: E402
from simulator.zto import ZtoCarrier  # noqa: E402

REGION = "us-east-1"


@dataclass(frozen=True)
class Prices:
    """USD, us-east-1 on-demand list prices."""

    dynamodb_write_per_million: float = 0.625      # write request units
    dynamodb_read_per_million: float = 0.125       # read request units
    sqs_per_million: float = 0.40                  # standard queue requests (each 64 KB chunk)
    lambda_per_million: float = 0.20               # requests
    lambda_per_gb_second: float = 0.0000166667     # x86
    http_api_per_million: float = 1.00             # HTTP API (API Gateway v2), first 300 million a month
    rest_api_per_million: float = 3.50             # REST API, first 333 million a month
    #: The API in front of the functions, as `make package API=...` deploys it (http by default).
    api: str = "http"

    @property
    def api_gateway_per_million(self) -> float:
        return {"http": self.http_api_per_million, "rest": self.rest_api_per_million}[self.api]
    logs_per_gb: float = 0.50                      # CloudWatch Logs ingestion (EMF metrics included)
    s3_put_per_thousand: float = 0.005             # every S3 request is counted at this (the dearer) price


#: Assumed billed duration (ms) per invocation, by function; memory is Chalice's default 128 MB.
DURATION_MS = {"api": 60, "dispatch": 350, "relay": 40, "metrics": 40, "notify": 120, "schedule": 80}
LAMBDA_MEMORY_GB = 128 / 1024
#: Lambda writes START, END and REPORT lines for every invocation.
LAMBDA_PLATFORM_LOG_BYTES = 330
#: The HTTP API's access log line per request (infra/http_api.py's format with typical values, and
#: CloudWatch's 26 bytes per event); the REST stage writes none.
ACCESS_LOG_BYTES = {"http": 340, "rest": 0}
SCHEDULE_RUNS_PER_MONTH = {"requeue_unsent_dispatches": 43_200, "poll_overdue_carrier_results": 21_600,
                           "sweep_refund_deadlines": 43_200, "resend_due_webhooks": 43_200,
                           "export_fees_daily": 30}
#: The fewest calls the gateway's own code can make per interception at each step, with batches of
#: 10; why each is needed is in docs/costs.md. Lambda's event source mapping (receive and delete
#: of SQS batches) is counted in the figures but not here: it is not the gateway's code.
MINIMUM_CALLS = {
    "create": {"dynamodb:GetItem(PLATFORM)": 1, "dynamodb:TransactWriteItems": 1, "sqs:SendMessage": 1,
               "dynamodb:PutItem(INTERCEPT)": 1},
    "dispatch": {"dynamodb:UpdateItem(INTERCEPT)": 1, "dynamodb:TransactWriteItems": 1},
    "callback": {"dynamodb:GetItem(INTERCEPT)": 1, "dynamodb:TransactWriteItems": 1},
    "relay": {"sqs:SendMessageBatch": 0.4},
    # one transaction of a merchant's counter deltas per stream batch (a batch holds many changes)
    "metrics": {"dynamodb:TransactWriteItems": 0.15},
    "webhooks": {"dynamodb:PutItem(INTERCEPT)": 4, "dynamodb:UpdateItem(INTERCEPT)": 4},
}
#: Lambda's event source mappings' own calls (SQS receives and deletes; stream reads, which a
#: Lambda trigger is not billed for).
EVENT_SOURCE_CALLS = {"sqs:ReceiveMessage", "sqs:DeleteMessageBatch", "streams.dynamodb:DescribeStream",
                      "streams.dynamodb:GetShardIterator", "streams.dynamodb:GetRecords"}
#: Calls a warm container makes once, not per interception: the queue URL lookup, the circuit
#: breaker's state (read at most once a second), the API key and the webhook endpoint (cached).
PER_CONTAINER_CALLS = {"create": {"sqs:GetQueueUrl", "dynamodb:GetItem(APIKEY)"},
                       "dispatch": {"dynamodb:GetItem(BREAKER)"}, "relay": {"sqs:GetQueueUrl"},
                       "webhooks": {"dynamodb:GetItem(PLATFORM)"}}

CREDENTIALS = {"zto": {"app_key": "bench-key", "app_secret": "bench-secret", "company_id": "bench-company"}}
API_KEY = "bench-key"
STEPS = ("create", "dispatch", "callback", "relay", "metrics", "webhooks")


def gateway_calls(step: str, calls: dict[str, float]) -> dict[str, float]:
    """Of a step's calls per interception, those the gateway's code makes for each interception
    (not Lambda's event source mapping, not once per container)."""
    return {name: count for name, count in calls.items()
            if name not in EVENT_SOURCE_CALLS and name not in PER_CONTAINER_CALLS.get(step, set())}


class ByteCounter(io.TextIOBase):
    """A log stream that only counts what would be shipped to CloudWatch Logs."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode("utf-8"))
        return len(text)


def run(count: int, merchant_of: Callable[[int], str] = lambda n: DEMO_MERCHANT_ID, parcels: int = 1) -> dict:
    """Drive `count` interceptions through the lifecycle; returns the tallies per step.

    `merchant_of(n)` is the merchant of the n-th interception (each is set up like the demo one).
    With `parcels` > 1 each of the `count` is an after-sale of that many parcels (`targets`, on the
    Douyin policy, which allows several), and the tallies are per after-sale."""
    meter = AwsMeter(REGION)
    logs = ByteCounter()
    root = logging.getLogger()
    saved_logging = root.handlers[:], root.level, logging.getLogger("responses").level
    invocations: Counter[str] = Counter()
    api_requests = 0
    receiver = WebhookReceiver()
    simulator = CarrierSimulator(gateway_url="http://127.0.0.1:9", credentials=CREDENTIALS, callback_delay=3600)
    simulator.start()
    try:
        with mock_aws(), serialised_aws_calls(), meter.installed(), contextlib.redirect_stdout(logs):
            shipped = logging.StreamHandler(logs)  # what Lambda would ship to CloudWatch Logs
            shipped.setFormatter(JsonFormatter())
            root.handlers[:] = [shipped]
            root.setLevel(logging.INFO)
            logging.getLogger("responses").setLevel(logging.WARNING)  # moto's own, not the gateway's
            settings = Settings(stage="test", table_name="bench-gateway", dispatch_queue="bench-dispatch",
                                notify_queue="bench-notify", export_bucket="bench-exports",
                                public_base_url="http://gateway.bench")
            create_resources(boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("s3"), settings)
            clock = FixedClock(datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc))
            adapters = build_adapters({"zto": {"base_url": f"{simulator.url}/zto", **CREDENTIALS["zto"]}},
                                      CarrierHttp())
            gateway = runtime.Gateway(settings, clock, adapters=adapters)
            platform = Platform(id="bench", name="Bench platform",
                                policy=PolicyName.default if parcels == 1 else PolicyName.douyin)
            for merchant_id in dict.fromkeys(merchant_of(n) for n in range(count)):
                seed_platform(gateway.store, platform, API_KEY,
                              demo_merchant(to_iso(clock.now())).model_copy(update={"merchant_id": merchant_id}))
            runtime.use(gateway)
            # Lambda's event source mapping polls with its own client: metered, as SQS bills it.
            event_source = boto3.client("sqs")
            dispatch = QueuePump(event_source, settings.dispatch_queue, app_module.dispatch, wait_seconds=0)
            notify = QueuePump(event_source, settings.notify_queue, app_module.notify, wait_seconds=0)
            stream = StreamPump(boto3.client("dynamodb"), in_process_streams_client(), settings.table_name,
                                app_module.relay_changes, batch_size=stream_batch_size("relay_changes"))
            counting = StreamPump(boto3.client("dynamodb"), in_process_streams_client(), settings.table_name,
                                  app_module.count_merchant_metrics,
                                  batch_size=stream_batch_size("count_merchant_metrics"))

            def relay_changes() -> None:
                """Both stream handlers read what was committed: the webhook relay, the metrics counter."""
                step = meter.step
                for name, pump in (("relay", stream), ("metrics", counting)):
                    meter.step = name
                    while pump.run_once():
                        invocations[name] += 1
                meter.step = step
            headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
            pusher = ZtoCarrier(CREDENTIALS["zto"])
            with Client(app_module.app) as client:
                assert client.http.put("/v1/webhook-endpoint", headers=headers,
                                       body=json.dumps({"url": receiver.url})).status_code == 200
                stream.run_once()  # the set-up's changes
                counting.run_once()
                meter.reset()
                logs.bytes = 0

                meter.step = "create"
                ids = []
                for n in range(count):
                    body = {"merchant_id": merchant_of(n), "order_id": f"o-{n}", "after_sale_id": f"as-{n}",
                            "carrier": "zto", "tracking_no": f"ZT{n:09d}3", "refund_amount": 4999,
                            "reason": "buyer asked for a refund"}
                    if parcels > 1:
                        del body["carrier"], body["tracking_no"]
                        body["targets"] = [{"carrier": "zto", "tracking_no": f"ZT{n:08d}{p}3"} for p in range(parcels)]
                    response = client.http.post("/v1/intercepts", headers={**headers, "Idempotency-Key": f"k-{n}"},
                                                body=json.dumps(body))
                    assert response.status_code == 202, response.body
                    answer = json.loads(response.body)
                    if parcels == 1:
                        ids.append((answer["id"], body["tracking_no"]))
                    else:
                        ids += [(entry["intercept"]["id"], entry["tracking_no"]) for entry in answer["intercepts"]]
                api_requests += count
                invocations["api"] += count
                relay_changes()

                meter.step = "dispatch"
                while dispatch.run_once():
                    invocations["dispatch"] += 1
                relay_changes()

                meter.step = "callback"
                millis = int(clock.now().timestamp() * 1000)
                for n, (intercept_id, tracking_no) in enumerate(ids):
                    push = pusher.callback(InterceptRequest(intercept_id, tracking_no), Outcome.intercepted,
                                           f"evt-{n}", millis)
                    response = client.http.post("/callbacks/zto", headers=dict(push.headers), body=push.body)
                    assert response.status_code == 200, response.body
                api_requests += len(ids)
                invocations["api"] += len(ids)
                relay_changes()

                meter.step = "webhooks"
                while notify.run_once():
                    invocations["notify"] += 1
                lifecycle_log_bytes = logs.bytes

                meter.step = "checks"
                for intercept_id, _ in ids:
                    record = gateway.store.intercepts.get(intercept_id)
                    assert record.status == InterceptStatus.intercepted, record.status
                    assert record.refund_status.value == ("refund_auto" if parcels == 1 else "with_after_sale"), \
                        record.refund_status
                for n in range(count if parcels > 1 else 0):
                    sale = gateway.store.after_sales.get(platform.id, f"as-{n}")
                    assert sale.refund_status.value == "refund_auto", sale.refund_status
                deliveries = len(receiver.received)

                for name in SCHEDULE_RUNS_PER_MONTH:
                    meter.step = idle_step(name)
                    getattr(app_module, name)(scheduled_event(f"arn:aws:events:{REGION}:123456789012:rule/{name}",
                                                              REGION), None)
            runtime.use(None)
    finally:
        simulator.stop()
        receiver.stop()
        root.handlers[:], root.level, responses_level = saved_logging
        logging.getLogger("responses").setLevel(responses_level)
    return {"count": count, "meter": meter, "invocations": invocations, "api_requests": api_requests,
            "log_bytes": lifecycle_log_bytes, "webhooks_delivered": deliveries}


def stream_batch_size(handler: str) -> int:
    """A stream handler's batch size, as app.py registers it."""
    from chalice.app import DynamoDBEventConfig

    return next(source.batch_size for source in app_module.app.event_sources
                if isinstance(source, DynamoDBEventConfig) and source.name == handler)


def idle_step(schedule: str) -> str:
    """The meter's step for one run of a schedule with nothing to do."""
    return f"idle {schedule}"


def costs(result: dict, prices: Prices = Prices()) -> dict:
    """Per-interception counts and dollars per million interceptions."""
    meter: AwsMeter = result["meter"]
    count = result["count"]
    steps = [step for step in STEPS if step in meter.steps()]
    sqs_requests = sum(sum(meter.calls_in(step, "sqs").values()) for step in steps)
    s3_requests = sum(sum(meter.calls_in(step, "s3").values()) for step in steps)
    reads = sum(meter.read_units[step] for step in steps)
    writes = sum(meter.write_units[step] + meter.index_write_units[step] for step in steps)
    invocations = result["invocations"]
    gb_seconds = sum(n * DURATION_MS[kind] / 1000 * LAMBDA_MEMORY_GB for kind, n in invocations.items())
    log_bytes = (result["log_bytes"] + LAMBDA_PLATFORM_LOG_BYTES * sum(invocations.values())
                 + ACCESS_LOG_BYTES[prices.api] * result["api_requests"])
    per_million = 1_000_000 / count
    dollars = {
        "DynamoDB writes": writes * per_million * prices.dynamodb_write_per_million / 1e6,
        "DynamoDB reads": reads * per_million * prices.dynamodb_read_per_million / 1e6,
        "SQS": sqs_requests * per_million * prices.sqs_per_million / 1e6,
        "Lambda requests": sum(invocations.values()) * per_million * prices.lambda_per_million / 1e6,
        "Lambda compute": gb_seconds * per_million * prices.lambda_per_gb_second,
        f"API Gateway ({prices.api})": result["api_requests"] * per_million * prices.api_gateway_per_million / 1e6,
        "CloudWatch Logs": log_bytes * per_million / 1e9 * prices.logs_per_gb,
        "S3": s3_requests * per_million * prices.s3_put_per_thousand / 1e3,
    }
    runs = sum(SCHEDULE_RUNS_PER_MONTH.values())
    idle_month_reads = sum(meter.read_units[idle_step(name)] * n for name, n in SCHEDULE_RUNS_PER_MONTH.items())
    fixed_month = {
        "Lambda requests": runs * prices.lambda_per_million / 1e6,
        "Lambda compute": runs * DURATION_MS["schedule"] / 1000 * LAMBDA_MEMORY_GB * prices.lambda_per_gb_second,
        "DynamoDB reads": idle_month_reads * prices.dynamodb_read_per_million / 1e6,
        "CloudWatch Logs": runs * LAMBDA_PLATFORM_LOG_BYTES / 1e9 * prices.logs_per_gb,
    }
    return {
        "steps": steps,
        "calls_per_intercept": {step: {f"{service}:{operation}": n / count
                                       for (service, operation), n in sorted(meter.calls_in(step).items())}
                                for step in steps},
        "aws_calls_per_intercept": sum(sum(meter.calls_in(step).values()) for step in steps) / count,
        "read_units_per_intercept": reads / count,
        "write_units_per_intercept": writes / count,
        "table_write_units_per_intercept": sum(meter.write_units[step] for step in steps) / count,
        "index_write_units_per_intercept": sum(meter.index_write_units[step] for step in steps) / count,
        "sqs_requests_per_intercept": sqs_requests / count,
        "lambda_invocations_per_intercept": {kind: n / count for kind, n in invocations.items()},
        "api_requests_per_intercept": result["api_requests"] / count,
        "log_bytes_per_intercept": log_bytes / count,
        "dollars_per_million": dollars,
        "total_dollars_per_million": sum(dollars.values()),
        "idle_schedule_calls_per_run": {name: sum(meter.calls_in(idle_step(name)).values())
                                        for name in SCHEDULE_RUNS_PER_MONTH},
        "fixed_dollars_per_month": fixed_month,
        "webhooks_delivered_per_intercept": result["webhooks_delivered"] / count,
    }


def report(figures: dict, count: int, out=sys.stdout) -> None:
    print(f"{count} interceptions through the lifecycle (create, dispatch, callback: intercepted and "
          f"refunded automatically, webhooks); per interception:", file=out)
    for step in figures["steps"]:
        calls = figures["calls_per_intercept"][step]
        own = gateway_calls(step, calls)
        floor = sum(MINIMUM_CALLS.get(step, {}).values())
        print(f"  {step:9s} {sum(calls.values()):5.2f} AWS calls: "
              + ", ".join(f"{name} {n:g}" for name, n in calls.items())
              + f"  [per interception by the gateway: {sum(own.values()):g}, minimum {floor:g}]", file=out)
    print(f"  total     {figures['aws_calls_per_intercept']:5.2f} AWS calls; DynamoDB "
          f"{figures['read_units_per_intercept']:.2f} RRU, {figures['write_units_per_intercept']:.2f} WRU "
          f"({figures['table_write_units_per_intercept']:.2f} table + {figures['index_write_units_per_intercept']:.2f}"
          f" index); {figures['sqs_requests_per_intercept']:.2f} SQS requests; Lambda invocations "
          + ", ".join(f"{kind} {n:.2f}" for kind, n in figures["lambda_invocations_per_intercept"].items())
          + f"; {figures['api_requests_per_intercept']:.0f} API requests; "
          f"{figures['log_bytes_per_intercept']:.0f} log bytes; "
          f"{figures['webhooks_delivered_per_intercept']:.0f} webhooks delivered", file=out)
    print("dollars per million interceptions (us-east-1 on-demand; Lambda durations assumed "
          + ", ".join(f"{kind} {ms} ms" for kind, ms in DURATION_MS.items()) + ", 128 MB):", file=out)
    for name, dollars in figures["dollars_per_million"].items():
        print(f"  {name:18s} ${dollars:8.2f}", file=out)
    print(f"  {'total':18s} ${figures['total_dollars_per_million']:8.2f}", file=out)
    fixed = figures["fixed_dollars_per_month"]
    print("schedules, whatever the volume: AWS calls per idle run "
          + ", ".join(f"{name} {n}" for name, n in figures["idle_schedule_calls_per_run"].items())
          + f"; ${sum(fixed.values()):.2f} a month", file=out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--parcels", type=int, default=3,
                        help="also drive after-sales of this many parcels (0: skip)")
    parser.add_argument("--api", choices=("http", "rest"), default=Prices.api,
                        help="the API Gateway priced (make package's API setting)")
    args = parser.parse_args()
    prices = Prices(api=args.api)
    figures = costs(run(args.count), prices)
    if args.json:
        print(json.dumps(summary(figures, args.count), ensure_ascii=False))
    else:
        report(figures, args.count)
    if args.parcels > 1 and not args.json:
        print(f"\nafter-sales of {args.parcels} parcels (targets), figures per after-sale:")
        report(costs(run(args.count, parcels=args.parcels), prices), args.count)


def summary(figures: dict, count: int) -> dict:
    """The figures as one flat mapping (bench/results.py makes a table of it)."""
    flat: dict = {"interceptions driven through the lifecycle": count}
    for step in figures["steps"]:
        calls = figures["calls_per_intercept"][step]
        flat[f"{step}: AWS calls per interception"] = (
            ", ".join(f"{name} {n:g}" for name, n in calls.items())
            + f" (the gateway's own: {sum(gateway_calls(step, calls).values()):g};"
              f" minimum {sum(MINIMUM_CALLS.get(step, {}).values()):g})")
    flat.update({
        "AWS calls per interception": round(figures["aws_calls_per_intercept"], 2),
        "DynamoDB read units per interception": round(figures["read_units_per_intercept"], 2),
        "DynamoDB write units per interception": f"{figures['write_units_per_intercept']:g} "
                                                 f"({figures['table_write_units_per_intercept']:g} table + "
                                                 f"{figures['index_write_units_per_intercept']:g} index)",
        "SQS requests per interception": round(figures["sqs_requests_per_intercept"], 2),
        "Lambda invocations per interception": {kind: round(n, 2) for kind, n in
                                                figures["lambda_invocations_per_intercept"].items()},
        "API Gateway requests per interception": figures["api_requests_per_intercept"],
        "log bytes per interception": round(figures["log_bytes_per_intercept"]),
    })
    for name, dollars in figures["dollars_per_million"].items():
        flat[f"$ per million interceptions: {name}"] = round(dollars, 2)
    flat["$ per million interceptions: total"] = round(figures["total_dollars_per_million"], 2)
    flat["schedules, any volume: $ per month"] = round(sum(figures["fixed_dollars_per_month"].values()), 2)
    flat["prices and assumptions"] = ("us-east-1 on-demand list prices (see Prices in the script); Lambda 128 MB, "
                                      "billed durations assumed " + ", ".join(f"{kind} {ms} ms"
                                                                             for kind, ms in DURATION_MS.items()))
    return flat


if __name__ == "__main__":
    main()
