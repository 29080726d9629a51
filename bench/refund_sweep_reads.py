"""How many items one refund-deadline sweep reads: N live intercepts, of which D are due.

Prints counts, not times: the items DynamoDB read (ScannedCount summed over the sweep's Query
calls) and the Query calls made. The sweep reads the sparse `refund_due` index with a key
condition on the deadline, so the count follows D (up to the batch), not N.

By default it runs the sweep's read (`InterceptStore.due_refunds`, the only read a sweep makes when no
write loses a race). `--apply` runs the whole sweep, timeouts included; moto copies the whole
table for every transaction, so with 10,000 items that takes many minutes.

    python -m bench.refund_sweep_reads [live] [due] [batch] [--apply] [--json]   (defaults 10000 100 100)
"""
from __future__ import annotations

import json
import os
import sys
import threading
from datetime import datetime, timedelta, timezone

import boto3
from moto import mock_aws

from chalicelib.clock import FixedClock, to_iso
from chalicelib.domain.lifecycle import as_stored
from chalicelib.domain.models import Intercept, InterceptStatus, PolicyName, RefundStatus
from chalicelib.schedules.refund_deadlines import sweep_refund_deadlines
from chalicelib.store import Store
from chalicelib.store.codec import to_item
from chalicelib.store.intercepts import record_values
from chalicelib.store.schema import create_table_params
from chalicelib.usecases.change_writer import ChangeWriter
from chalicelib.usecases.refund_decisions import RefundDecisions

START = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


class CountingClient:
    """Wraps the DynamoDB client to count Query calls and the items they read (the sweep queries its
    shards from several threads, so the counts are kept under a lock)."""

    def __init__(self, client) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.queries = 0
        self.scanned = 0

    def query(self, **params):
        page = self._client.query(**params)
        with self._lock:
            self.queries += 1
            self.scanned += page.get("ScannedCount", 0)
        return page

    def __getattr__(self, name):
        return getattr(self._client, name)


def intercept(number: int, deadline_days: float) -> Intercept:
    created = START + timedelta(days=deadline_days) - timedelta(days=5)
    return Intercept(id=f"icp_bench{number:08d}", platform_id="bench", policy=PolicyName.kuaishou, merchant_id="m",
                     order_id=f"o{number}", after_sale_id=f"a{number}", carrier="zto", tracking_no=f"ZT{number:010d}",
                     refund_amount=100, package_count=1, goods_type="general", cross_border=False, reason="",
                     status=InterceptStatus.submitted, refund_status=RefundStatus.awaiting_result,
                     created_at=to_iso(created), updated_at=to_iso(created),
                     processing_deadline=to_iso(created + timedelta(days=5)))


def main(live: int, due: int, batch: int, apply: bool) -> dict:
    with mock_aws():
        raw = boto3.client("dynamodb")
        raw.create_table(**create_table_params("bench"))
        items = []
        for number in range(live):
            # the first `due` ones passed their deadline an hour ago; the rest are due in 1-4 days
            days_left = -1 / 24 if number < due else 1 + (number % 4)
            items.append({"PutRequest": {"Item": to_item(record_values(as_stored(intercept(number, days_left))))}})
        for start in range(0, len(items), 25):
            raw.batch_write_item(RequestItems={"bench": items[start:start + 25]})
        counting = CountingClient(raw)
        store = Store(counting, "bench")
        if apply:
            clock = FixedClock(START)
            decisions = RefundDecisions(store.intercepts, None, ChangeWriter(store.intercepts), clock)
            report = sweep_refund_deadlines(store.intercepts, decisions, clock, batch)
            returned, applied = report.due, report.timed_out
        else:
            returned, applied = len(store.intercepts.due_refunds(START, batch)[0]), None
        figures = {"live intercepts": live, "due intercepts": due, "batch": batch,
                   "items read (ScannedCount)": counting.scanned, "due items returned": returned,
                   "Query calls": counting.queries, "items read / live": round(counting.scanned / live, 4)}
        if applied is not None:
            figures["timeouts applied"] = applied
        return figures

if __name__ == "__main__":
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    numbers = [int(value) for value in sys.argv[1:] if value.isdigit()]
    report = main(*(numbers + [10_000, 100, 100][len(numbers):]), apply="--apply" in sys.argv)
    if "--json" in sys.argv:
        print(json.dumps(report))
    else:
        for name, value in report.items():
            print(f"{name + ':':<24}{value}")
