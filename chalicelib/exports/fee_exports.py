"""Fee exports for a platform: start a run for a period, show the current export and the run in progress."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from chalicelib.clock import Clock, new_id, to_iso
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.exports.fee_export_parts import slice_count
from chalicelib.exports.fee_report import read_manifest
from chalicelib.exports.periods import InvalidPeriod, Period, parse_period
from chalicelib.queues import Queues
from chalicelib.store.fee_export_runs import ABANDONED, PUBLISHED, RUNNING, FeeExportRunStore, progress

log = logging.getLogger(__name__)

#: How long a download link in GET /v1/exports/fees/{period} stays valid.
LINK_SECONDS = 900
#: A run in progress that counted no part for this long may be replaced by a new one: longer than
#: a failed part takes to come back (the parts queue's visibility timeout, 90 minutes).
STALLED_SECONDS = 2 * 3600


class FeeExports:
    def __init__(self, runs: FeeExportRunStore, queues: Queues, queue: str, shards: int, slice_seconds: int,
                 s3: Any, bucket: str, clock: Clock) -> None:
        self._runs = runs
        self._queues = queues
        self._queue = queue
        self._shards = shards
        self._slice_seconds = slice_seconds
        self._s3 = s3
        self._bucket = bucket
        self._clock = clock

    def export(self, platform_id: str, period_text: Any) -> dict:
        """Start a run of the period's export: its parts go on the parts queue, one message per
        shard. Conflict while another run of the period is in progress (and not stalled)."""
        period = _period(period_text)
        now = self._clock.now()
        if period.start >= now:
            raise BadRequest("the period has not started yet", fields=[{"field": "period", "problem": "in the future"}])
        run = {"run_id": new_id("run", self._clock), "platform_id": platform_id, "period": period.label,
               "status": RUNNING, "shards": self._shards, "slice_seconds": self._slice_seconds,
               "parts_total": self._shards * slice_count(period, self._slice_seconds), "parts_done": 0,
               "started_at": to_iso(now), "updated_at": to_iso(now)}
        running = self._runs.start(run, to_iso(now - timedelta(seconds=STALLED_SECONDS)))
        if running is not None:
            raise Conflict(f"a fee export of {period.label} is in progress; see GET /v1/exports/fees/{period.label}",
                           code="export_in_progress", run=progress(running))
        try:
            self._queues.send_all(self._queue, [{"run_id": run["run_id"], "platform_id": platform_id,
                                                 "period": period.label, "shard": shard} for shard in range(self._shards)])
        except Exception:
            self._runs.abandon(platform_id, period.label, run["run_id"])  # a new POST may start at once
            raise
        log.info("fee export started", extra={"platform_id": platform_id, "period": period.label,
                                              "run_id": run["run_id"], "parts": run["parts_total"]})
        return progress(run)

    def describe(self, platform_id: str, period_text: str) -> dict:
        """The current export (manifest and download links, or null before the first is published)
        and the run in progress, if any (null when none)."""
        period = _period(period_text)
        manifest = read_manifest(self._s3, self._bucket, period.label, platform_id)
        run = self._runs.get(platform_id, period.label)
        in_progress = progress(run) if run and run["status"] not in (PUBLISHED, ABANDONED) else None
        if manifest is None and in_progress is None:
            raise NotFound(f"no fee export for {period.label}; create one with POST /v1/exports/fees")
        downloads = {entry["name"]: self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": entry["key"]}, ExpiresIn=LINK_SECONDS)
            for entry in (manifest or {}).get("files", [])}
        return {"manifest": manifest, "downloads": downloads, "downloads_expire_in_seconds": LINK_SECONDS,
                "in_progress": in_progress}


def _period(value: Any) -> Period:
    if not isinstance(value, str):
        raise BadRequest("period is required", fields=[{"field": "period", "problem": "must be a string"}])
    try:
        return parse_period(value)
    except InvalidPeriod as error:
        raise BadRequest(str(error), fields=[{"field": "period", "problem": str(error)}]) from None
