"""Benchmark: stream a fee export of N rows to S3 and report throughput and peak memory.

moto's server runs in a child process, so this process's peak RSS is the exporter's own (plus
Python, boto3 and botocore), not the stored objects. Rows are generated, not read from DynamoDB:
this measures the export path (CSV encoding, hashing, multipart upload, manifest). It also prints
the size of an export's part at the design peak (docs/scale.md) and how long this path takes for one.

    .venv/bin/python bench/export_fees.py [--rows 100000] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from local.moto_server import LocalAwsProcess  # noqa: E402


def rows(count: int):
    for n in range(count):
        yield {
            "id": f"icp_{n:026d}", "merchant_id": f"m-{n % 500}", "order_id": f"order-{n}",
            "after_sale_id": f"as-{n}", "carrier": ("zto", "yto", "sto", "jt")[n % 4],
            "tracking_no": f"ZT{n:012d}", "status": "intercepted", "result_reason": None,
            "created_at": "2026-11-22T01:00:00.000Z", "result_at": "2026-11-22T02:00:00.000Z",
            "charged_at": "2026-11-22T02:00:00.000Z",
            "fee": {"amount": 300 + n % 200, "currency": "CNY", "settlement_mode": "offline_outlet",
                    "charged_on": "success", "outlet": {"outlet_id": f"o-{n % 40}", "name": "杭州西湖网点", "fee": 300}},
        }


PEAK_PER_SECOND = 10_000


def peak_parts() -> tuple[int, int]:
    """Rows in one part (a shard of the charged index over a slice) and parts in a day, at the peak."""
    from chalicelib.config import Settings
    from chalicelib.store.keys import Shards

    shards = Shards.for_rate(PEAK_PER_SECOND).listing
    slice_seconds = Settings(stage="bench", table_name="", dispatch_queue="", notify_queue="", export_bucket="",
                             public_base_url="").export_slice_seconds
    return round(PEAK_PER_SECOND / shards * slice_seconds), shards * (86_400 // slice_seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    server = LocalAwsProcess()
    server.start()
    endpoint = server.endpoint
    try:
        os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                           "AWS_DEFAULT_REGION": "us-east-1"})
        import boto3

        from chalicelib.clock import FixedClock
        from chalicelib.exports.fee_report import export_fees
        from chalicelib.exports.periods import parse_period

        s3 = boto3.client("s3", endpoint_url=endpoint)
        s3.create_bucket(Bucket="bench")
        baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        manifest = export_fees(s3, "bench", "bench-platform", parse_period("2026-11-22"), rows(args.rows),
                               FixedClock(datetime(2026, 11, 23, tzinfo=timezone.utc)), {"bench": True})
        elapsed = time.perf_counter() - started
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        detail = next(entry for entry in manifest["files"] if entry["name"].startswith("detail-"))
        rows_per_part, parts_per_day = peak_parts()
        figures = {
            "rows exported": manifest["totals"]["rows"],
            "detail.csv bytes": detail["bytes"],
            "rows per second": round(args.rows / elapsed),
            "peak RSS (MiB)": round(peak_kb / 1024, 1),
            "RSS before the export (MiB)": round(baseline_kb / 1024, 1),
            "peak RSS under 150 MB": "yes" if peak_kb * 1024 < 150_000_000 else "NO",
            "rows per part at the 10k/s peak": rows_per_part,
            "parts per peak day": parts_per_day,
            "seconds of this path per peak part": round(rows_per_part * elapsed / args.rows, 1),
        }
        if args.json:
            print(json.dumps(figures))
        else:
            print(f"rows exported:          {figures['rows exported']}")
            print(f"detail.csv bytes:       {figures['detail.csv bytes']}")
            print(f"rows per second:        {args.rows / elapsed:,.0f}")
            print(f"peak RSS:               {peak_kb / 1024:.1f} MiB (before the export: {baseline_kb / 1024:.1f} MiB)")
            print(f"peak RSS under 150 MB:  {figures['peak RSS under 150 MB']}")
            print(f"rows per part at peak:  {rows_per_part:,} ({parts_per_day:,} parts a peak day), "
                  f"{figures['seconds of this path per peak part']} s of this path each")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
