"""Benchmark: one SQS batch of 10 interceptions against a carrier that takes 200 ms per call.

The dispatch worker calls the carrier for a batch's messages in parallel (bounded), so the batch
should take about one call's latency, not ten. Runs the real Dispatcher (breaker, leases, state
transitions) and ZTO adapter against the carrier simulator with `latency=0.2` over loopback HTTP,
on LocalAws (moto's server, DynamoDB requests applied one at a time).

Prints, per batch, the wall time of the whole batch and the span of its carrier calls (first call
sent to last answer received), each as a multiple of one call's latency (target: at most 2x), and
the AWS requests per message. The whole batch also holds the store work: one breaker read, then
each message's lease and commit, which the local fake applies one at a time at several
milliseconds each (moto in a child process). DynamoDB serves those requests concurrently, so the
batch there is about one carrier call plus three store round trips.

    python -m bench.dispatch_parallel [--latency 0.2] [--batch 10] [--rounds 5] [--json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from typing import NamedTuple

import boto3

from bench.aws_meter import AwsMeter
from chalicelib.api.auth import hash_key
from chalicelib.domain.models import InterceptStatus
from chalicelib.domain.requests import CreateInterceptRequest
from chalicelib.queues import QueueMessage, dispatch_message
from local.inprocess import API_KEY, Harness

CREDENTIALS = {"zto": {"app_key": "bench-key", "app_secret": "bench-secret", "company_id": "bench-company"}}


class TimedAdapter:
    """Records when each carrier call starts and ends."""

    def __init__(self, adapter) -> None:
        self._adapter = adapter
        self.code = adapter.code
        self.calls: list[tuple[float, float]] = []
        self._lock = threading.Lock()

    def __getattr__(self, name):
        return getattr(self._adapter, name)

    def submit_intercept(self, order):
        started = time.perf_counter()
        try:
            return self._adapter.submit_intercept(order)
        finally:
            with self._lock:
                self.calls.append((started, time.perf_counter()))


def _drain(queue_url: str) -> None:
    sqs = boto3.client("sqs")
    while True:
        received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        received = received.get("Messages", [])
        if not received:
            return
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(n), "ReceiptHandle": message["ReceiptHandle"]} for n, message in enumerate(received)])


class Round(NamedTuple):
    wall: float   # the whole batch, handle_batch's call to its return
    span: float   # first carrier call sent to last answer received
    lead: float   # batch start to the first call: the circuit read and the first lease
    tail: float   # last answer to the batch's return: the commits still queued at the fake


def one_round(harness: Harness, timed: TimedAdapter, meter: AwsMeter, round_no: int, batch: int) -> Round:
    gateway = harness.gateways["zto"]
    platform = gateway.store.platforms.for_key(hash_key(API_KEY))
    messages = []  # tracking numbers end in 0: the simulator accepts at once
    for n in range(batch):
        body = {"merchant_id": "demo-merchant", "order_id": f"b{round_no}-{n}", "after_sale_id": f"b{round_no}-{n}",
                "carrier": "zto", "tracking_no": f"BENCH{round_no:03d}{n:03d}0", "refund_amount": 1999}
        created = gateway.intercepts.create(platform, f"bench-{round_no}-{n}", CreateInterceptRequest(**body)).body
        messages.append(QueueMessage(f"m-{round_no}-{n}", "unused-receipt",
                                     json.dumps(dispatch_message(created["id"], "intercept", "zto"))))
    # Nothing consumes the queues here, and moto's SQS scans a queue's every message on each send
    # (SQS does not), so a send would slow down round after round: empty them, as workers keep them.
    for queue in (gateway.settings.dispatch_queue, gateway.settings.notify_queue):
        _drain(gateway.queues.url(queue))
    timed.calls.clear()
    meter.step = "batch"
    started = time.perf_counter()
    result = gateway.dispatcher.handle_batch(messages)
    ended = time.perf_counter()
    meter.step = "checks"
    records = [gateway.store.intercepts.get(json.loads(message.body)["intercept_id"]) for message in messages]
    assert result == {"batchItemFailures": []}, [record.last_error for record in records if record.last_error]
    assert all(record.status == InterceptStatus.submitted for record in records), [r.status for r in records]
    first_call, last_answer = min(start for start, _ in timed.calls), max(end for _, end in timed.calls)
    return Round(ended - started, last_answer - first_call, first_call - started, ended - last_answer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    meter = AwsMeter(capacity=False)
    with meter.installed():
        harness = Harness(credentials=CREDENTIALS, simulator_options={"latency": args.latency, "callback_delay": 3600},
                          read_timeout=5.0, aws_in_child_process=True).start()
        try:
            gateway = harness.gateways["zto"]
            timed = TimedAdapter(gateway.adapters["zto"])
            gateway.adapters = {"zto": timed}
            results = [one_round(harness, timed, meter, round_no, args.batch) for round_no in range(args.rounds)]
        finally:
            harness.stop()
    messages = args.rounds * args.batch
    requests = meter.calls_in("batch")
    walls, spans = [r.wall for r in results], [r.span for r in results]
    latency = args.latency
    span, wall = statistics.median(spans), statistics.median(walls)
    lead, tail = statistics.median(r.lead for r in results), statistics.median(r.tail for r in results)
    if args.json:
        print(json.dumps({
            "carrier latency per call (ms)": round(latency * 1000), "messages per batch": args.batch,
            "batches": args.rounds, "sequential calls would take (ms)": round(args.batch * latency * 1000),
            "median carrier-call span (ms)": round(span * 1000), "span / one call": f"{span / latency:.2f}x",
            "median whole batch (ms)": round(wall * 1000), "whole batch / one call": f"{wall / latency:.2f}x",
            "median batch start to first call (ms)": round(lead * 1000),
            "median last answer to batch end (ms)": round(tail * 1000),
            "target": "at most 2x one call",
            "AWS requests per message": {f"{service}:{operation}": count / messages
                                         for (service, operation), count in sorted(requests.items())},
        }))
        return
    print(f"carrier latency per call: {latency * 1000:.0f} ms; {args.rounds} batches of {args.batch} messages "
          f"(sequential calls would take {args.batch * latency * 1000:.0f} ms)")
    print("carrier-call span per batch: " + ", ".join(f"{s * 1000:.0f} ms" for s in spans))
    print("whole batch wall time:       " + ", ".join(f"{w * 1000:.0f} ms" for w in walls))
    print(f"median carrier-call span: {span * 1000:.0f} ms = {span / latency:.2f}x one call "
          f"(target <= 2x: {'met' if span <= 2 * latency else 'NOT met'})")
    print(f"median whole batch:       {wall * 1000:.0f} ms = {wall / latency:.2f}x one call "
          f"(target <= 2x: {'met' if wall <= 2 * latency else 'NOT met'}; "
          "includes the local fake's serialised store work)")
    print(f"median batch start to first call: {lead * 1000:.0f} ms (circuit read, first lease); "
          f"last answer to batch end: {tail * 1000:.0f} ms (commits queued at the fake)")
    print("AWS requests per message: " + ", ".join(f"{service}:{operation} {count / messages:g}"
                                                   for (service, operation), count in sorted(requests.items())))


if __name__ == "__main__":
    main()
