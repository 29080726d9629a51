"""Fee exports for a platform: run one for a period, show one with download links."""
from __future__ import annotations

import logging
from typing import Any

from chalicelib.clock import Clock, to_iso
from chalicelib.errors import BadRequest, NotFound
from chalicelib.exports.fee_report import export_fees, read_manifest
from chalicelib.exports.periods import InvalidPeriod, Period, parse_period
from chalicelib.store.intercepts import InterceptStore

log = logging.getLogger(__name__)

#: How long a download link in GET /v1/exports/fees/{period} stays valid.
LINK_SECONDS = 900


class FeeExports:
    def __init__(self, intercepts: InterceptStore, s3: Any, bucket: str, clock: Clock) -> None:
        self._intercepts = intercepts
        self._s3 = s3
        self._bucket = bucket
        self._clock = clock

    def export(self, platform_id: str, period_text: Any) -> dict:
        period = _period(period_text)
        if period.start >= self._clock.now():
            raise BadRequest("the period has not started yet", fields=[{"field": "period", "problem": "in the future"}])
        start, end = to_iso(period.start), to_iso(period.end)
        query = {"index": "charged", "partition": f"CHARGED#{platform_id}", "charged_at_from": start,
                 "charged_at_before": end, "calendar": "Asia/Shanghai"}
        records = (record.model_dump(mode="json")
                   for record in self._intercepts.charged(platform_id, start, end))
        manifest = export_fees(self._s3, self._bucket, platform_id, period, records, self._clock, query)
        log.info("fee export written", extra={"platform_id": platform_id, "period": period.label,
                                              "rows": manifest["totals"]["rows"]})
        return manifest

    def describe(self, platform_id: str, period_text: str) -> dict:
        period = _period(period_text)
        manifest = read_manifest(self._s3, self._bucket, period.label, platform_id)
        if manifest is None:
            raise NotFound(f"no fee export for {period.label}; create one with POST /v1/exports/fees")
        downloads = {entry["name"]: self._s3.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket, "Key": entry["key"]}, ExpiresIn=LINK_SECONDS)
            for entry in manifest["files"]}
        return {"manifest": manifest, "downloads": downloads, "downloads_expire_in_seconds": LINK_SECONDS}


def _period(value: Any) -> Period:
    if not isinstance(value, str):
        raise BadRequest("period is required", fields=[{"field": "period", "problem": "must be a string"}])
    try:
        return parse_period(value)
    except InvalidPeriod as error:
        raise BadRequest(str(error), fields=[{"field": "period", "problem": str(error)}]) from None
