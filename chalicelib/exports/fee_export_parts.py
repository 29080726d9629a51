"""A fee export run, part by part, on the `fee-export-parts` queue.

A part is one shard of the charged index over one slice of the period. At the design peak (10,000
charges a second from one platform, over 32 shards: about 310 a second per shard) a 10-minute
slice holds about 190,000 rows, read with about 1,900 BatchGetItems: one to two minutes against
the worker's 15-minute limit, and a peak day is 32 x 144 = 4,608 parts (docs/scale.md).

The planner (chalicelib/exports/fee_exports.py) sends one message per shard; its worker sends one
message per slice of that shard (a month is 4,464 slices per shard: too many for the API's own
function to send). A part's worker writes the part's detail file and totals, then counts it done
(chalicelib/store/fee_export_runs.py); the one that counts the last part assembles: the summary
from every part's totals, the manifest (written last), older runs deleted. A message of a run that
is no longer current (replaced, or published) does nothing; a redelivered part counted before
is not written again.
"""
from __future__ import annotations

import json
import logging
import math
from datetime import timedelta
from typing import Any

from chalicelib.clock import Clock, to_iso
from chalicelib.exports.fee_report import publish, read_part_totals, run_prefix, write_part
from chalicelib.exports.periods import Period, parse_period
from chalicelib.queues import QueueMessage, Queues, process_batch
from chalicelib.store.fee_export_runs import ASSEMBLING, MARKER_SECONDS, RUNNING, FeeExportRunStore
from chalicelib.store.intercepts import InterceptStore

log = logging.getLogger(__name__)


def slice_count(period: Period, slice_seconds: int) -> int:
    return math.ceil((period.end - period.start).total_seconds() / slice_seconds)


def part_name(shard: int, number: int) -> str:
    return f"{shard:04d}-{number:05d}"


def part_names(shards: int, slices: int) -> list[str]:
    return [part_name(shard, number) for shard in range(shards) for number in range(slices)]


def charged_query(platform_id: str, period: Period) -> dict:
    """What the manifest says it read."""
    return {"index": "charged", "partition": f"CHARGED#{platform_id}", "charged_at_from": to_iso(period.start),
            "charged_at_before": to_iso(period.end), "calendar": "Asia/Shanghai"}


class FeeExportParts:
    def __init__(self, runs: FeeExportRunStore, intercepts: InterceptStore, queues: Queues, queue: str, s3: Any,
                 bucket: str, clock: Clock) -> None:
        self._runs = runs
        self._intercepts = intercepts
        self._queues = queues
        self._queue = queue
        self._s3 = s3
        self._bucket = bucket
        self._clock = clock

    def handle_batch(self, messages: list[QueueMessage]) -> dict:
        """One message at a time: a part is mostly CSV encoding, which threads would not speed up
        (the function takes one message a batch anyway)."""
        return process_batch(messages, self.handle, max_parallel=1, what="fee export part")

    def handle(self, message: QueueMessage) -> bool:
        work = json.loads(message.body)
        run = self._runs.get(work["platform_id"], work["period"])
        if not run or run["run_id"] != work["run_id"] or run["status"] not in (RUNNING, ASSEMBLING):
            log.info("fee export part of a run no longer current", extra={"run_id": work["run_id"]})
            return True
        if "slice" not in work:
            if run["status"] != RUNNING:  # every part is counted: its slices were sent before
                return True
            self._queues.send_all(self._queue, [{**work, "slice": number} for number in
                                                range(slice_count(parse_period(run["period"]), run["slice_seconds"]))])
            return True
        self._run_part(run, work["shard"], work["slice"])
        return True

    def _run_part(self, run: dict, shard: int, number: int) -> None:
        platform_id, label, run_id = run["platform_id"], run["period"], run["run_id"]
        period = parse_period(label)
        name = part_name(shard, number)
        now = self._clock.now()
        if not self._runs.part_counted(platform_id, label, run_id, name):
            start = period.start + timedelta(seconds=number * run["slice_seconds"])
            end = min(period.end, start + timedelta(seconds=run["slice_seconds"]))
            records = (record.model_dump(mode="json")
                       for record in self._intercepts.charged(platform_id, to_iso(start), to_iso(end), shard))
            written = write_part(self._s3, self._bucket, run_prefix(label, platform_id, run_id), name, records)
            outcome = self._runs.count_part(platform_id, label, run_id, name, to_iso(now),
                                            int(now.timestamp()) + MARKER_SECONDS)
            if outcome == "obsolete":
                return
            log.info("fee export part written", extra={"run_id": run_id, "part": name,
                                                       "rows": written["all"][0], "counted": outcome})
        if self._runs.claim_assembly(platform_id, label, run_id, name, to_iso(now)):
            self._assemble(run, period)

    def _assemble(self, run: dict, period: Period) -> None:
        platform_id, run_id = run["platform_id"], run["run_id"]
        parts = read_part_totals(self._s3, self._bucket, run_prefix(period.label, platform_id, run_id),
                                 part_names(run["shards"], slice_count(period, run["slice_seconds"])))
        manifest = publish(self._s3, self._bucket, platform_id, period, run_id, parts, self._clock,
                           charged_query(platform_id, period))
        self._runs.publish(platform_id, period.label, run_id, to_iso(self._clock.now()))
        log.info("fee export published", extra={"platform_id": platform_id, "period": period.label, "run_id": run_id,
                                                "rows": manifest["totals"]["rows"], "parts": run["parts_total"]})
