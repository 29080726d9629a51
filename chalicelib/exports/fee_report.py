"""The fee reconciliation export: one detail row per charged intercept, a summary per merchant x
carrier x outlet, and a manifest that makes the export verifiable from S3 alone.

Layout under `fees/period=<period>/platform=<platform>/`:
  run=<run id>/detail.csv, run=<run id>/summary.csv   the data of one export run
  manifest.json                                       written last; names the current run's files

Readers start from the manifest, so they see the previous export or the new one, never half of
one: re-exporting writes a new run, swaps the manifest (one PUT), then deletes older runs.
CSV is UTF-8 with a byte-order mark so Excel opens Chinese text correctly.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from chalicelib.clock import Clock, from_iso, new_id, to_iso
from chalicelib.exports.periods import SHANGHAI, Period
from chalicelib.exports.s3_stream import S3StreamWriter

BOM = "\ufeff".encode("utf-8")
ROWS_PER_CHUNK = 2_000

DETAIL_COLUMNS = (
    "intercept_id", "merchant_id", "order_id", "after_sale_id", "carrier", "outlet_id", "outlet_name",
    "tracking_no", "status", "result_reason", "created_at", "result_at", "charged_at", "charged_date_cst",
    "fee_fen", "currency", "settlement_mode", "charged_on",
)
SUMMARY_COLUMNS = ("merchant_id", "carrier", "outlet_id", "outlet_name", "settlement_mode", "intercepts", "fee_fen")


def export_prefix(period_label: str, platform_id: str) -> str:
    return f"fees/period={period_label}/platform={platform_id}/"


def manifest_key(period_label: str, platform_id: str) -> str:
    return export_prefix(period_label, platform_id) + "manifest.json"


def detail_row(record: Mapping[str, Any]) -> list:
    """One charged intercept as a detail row. Only ids and business fields: no personal data."""
    fee = record["fee"]
    outlet = fee.get("outlet") or {}
    charged_at = record["charged_at"]
    return [
        record["id"], record["merchant_id"], record["order_id"], record["after_sale_id"], record["carrier"],
        outlet.get("outlet_id", ""), outlet.get("name", ""), record["tracking_no"], record["status"],
        record.get("result_reason") or "", record["created_at"], record.get("result_at") or "", charged_at,
        from_iso(charged_at).astimezone(SHANGHAI).date().isoformat(),
        fee["amount"], fee.get("currency", "CNY"), fee["settlement_mode"], fee["charged_on"],
    ]


@dataclass
class _Totals:
    rows: int = 0
    fee_fen: int = 0
    groups: dict[tuple, list[int]] = field(default_factory=dict)

    def add(self, record: Mapping[str, Any]) -> None:
        fee = record["fee"]
        outlet = fee.get("outlet") or {}
        group = (record["merchant_id"], record["carrier"], outlet.get("outlet_id", ""), outlet.get("name", ""),
                 fee["settlement_mode"])
        count_and_sum = self.groups.setdefault(group, [0, 0])
        count_and_sum[0] += 1
        count_and_sum[1] += fee["amount"]
        self.rows += 1
        self.fee_fen += fee["amount"]


class _CsvChunks:
    """Rows to CSV bytes in chunks, so neither the rows nor the file are held in memory."""

    def __init__(self, writer: S3StreamWriter, header: Iterable[str]) -> None:
        self._out = writer
        self._text = io.StringIO()
        self._csv = csv.writer(self._text, lineterminator="\r\n")
        self._pending = 0
        self._out.write(BOM)
        self.row(header)

    def row(self, values: Iterable[Any]) -> None:
        self._csv.writerow(values)
        self._pending += 1
        if self._pending >= ROWS_PER_CHUNK:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._out.write(self._text.getvalue().encode("utf-8"))
            self._text.seek(0)
            self._text.truncate()
            self._pending = 0


def export_fees(s3: Any, bucket: str, platform_id: str, period: Period, records: Iterable[Mapping[str, Any]],
                clock: Clock, query: Mapping[str, Any]) -> dict:
    """Stream `records` (charged intercepts of the period) into a new export run and publish it."""
    prefix = export_prefix(period.label, platform_id)
    run_id = new_id("run", clock)
    run_prefix = f"{prefix}run={run_id}/"
    totals = _Totals()
    files = []
    with S3StreamWriter(s3, bucket, run_prefix + "detail.csv", "text/csv; charset=utf-8") as detail:
        chunks = _CsvChunks(detail, DETAIL_COLUMNS)
        for record in records:
            chunks.row(detail_row(record))
            totals.add(record)
        chunks.flush()
        files.append(_file_entry("detail.csv", detail, detail.close(), totals.rows))
    with S3StreamWriter(s3, bucket, run_prefix + "summary.csv", "text/csv; charset=utf-8") as summary:
        chunks = _CsvChunks(summary, SUMMARY_COLUMNS)
        for group, (count, amount) in sorted(totals.groups.items()):
            chunks.row([*group, count, amount])
        chunks.flush()
        files.append(_file_entry("summary.csv", summary, summary.close(), len(totals.groups)))
    manifest = {
        "period": period.label, "platform_id": platform_id, "run_id": run_id,
        "generated_at": to_iso(clock.now()), "timezone": "Asia/Shanghai",
        "period_start": to_iso(period.start), "period_end": to_iso(period.end),
        "files": files, "totals": {"rows": totals.rows, "fee_fen": totals.fee_fen, "currency": "CNY"},
        "query": dict(query),
    }
    s3.put_object(Bucket=bucket, Key=prefix + "manifest.json", ContentType="application/json",
                  Body=json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
    _delete_other_runs(s3, bucket, prefix, run_prefix)
    return manifest


def read_manifest(s3: Any, bucket: str, period_label: str, platform_id: str) -> dict | None:
    try:
        body = s3.get_object(Bucket=bucket, Key=manifest_key(period_label, platform_id))["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return json.loads(body)


def _file_entry(name: str, writer: S3StreamWriter, sha256: str, rows: int) -> dict:
    return {"name": name, "key": writer.key, "rows": rows, "bytes": writer.size, "sha256": sha256}


def _delete_other_runs(s3: Any, bucket: str, prefix: str, keep_prefix: str) -> None:
    stale = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "run="):
        stale += [{"Key": item["Key"]} for item in page.get("Contents", []) if not item["Key"].startswith(keep_prefix)]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": stale[start:start + 1000], "Quiet": True})
