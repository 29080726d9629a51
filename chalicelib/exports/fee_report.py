"""The fee reconciliation export: detail rows per charged intercept, a summary per merchant x
carrier x outlet, and a manifest that makes the export verifiable from S3 alone.

Layout under `fees/period=<period>/platform=<platform>/`:
  run=<run id>/detail-<part>.csv   one part's detail rows (a part with no rows writes none)
  run=<run id>/totals-<part>.json  the part's totals and its file's size and checksum
  run=<run id>/summary.csv         the run's totals per group, from every part's totals
  manifest.json                    written last; names the current run's files

A run is written part by part (a shard of the charged index over a slice of the period, see
chalicelib/exports/fee_export_parts.py), then published: the summary, then the manifest (one
PUT), then older runs are deleted. Readers start from the manifest, so they see the previous
export or the new one, never half of one. CSV is UTF-8 with a byte-order mark so Excel opens
Chinese text correctly.

A detail row shows the fee charged (`fee_fen`), the fee quoted at create (`fee_quote_fen`, empty
when the quote had no price), charged minus quoted (`fee_difference_fen`, empty without a quote)
and where the charged amount came from (`fee_source`: `carrier` when the carrier named it, `quote`
otherwise). Columns are only ever appended, so readers of the earlier columns keep working.
"""
from __future__ import annotations

import csv
import io
import itertools
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
    "fee_fen", "currency", "settlement_mode", "charged_on", "fee_quote_fen", "fee_difference_fen", "fee_source",
)
SUMMARY_COLUMNS = ("merchant_id", "carrier", "outlet_id", "outlet_name", "settlement_mode", "intercepts", "fee_fen",
                   "fee_quote_fen", "fee_difference_fen")


def export_prefix(period_label: str, platform_id: str) -> str:
    return f"fees/period={period_label}/platform={platform_id}/"


def manifest_key(period_label: str, platform_id: str) -> str:
    return export_prefix(period_label, platform_id) + "manifest.json"


def quoted_fen(record: Mapping[str, Any]) -> int | None:
    """The amount quoted at create; None when the quote had no price."""
    return (record.get("fee_quote") or {}).get("amount")


def fee_source(record: Mapping[str, Any]) -> str:
    """`carrier` or `quote` (fees fixed before the fee recorded its source: a carrier's fee was
    recorded as `carrier_fee`)."""
    return record["fee"].get("source") or ("carrier" if record.get("carrier_fee") is not None else "quote")


def detail_row(record: Mapping[str, Any]) -> list:
    """One charged intercept as a detail row. Only ids and business fields: no personal data."""
    fee = record["fee"]
    outlet = fee.get("outlet") or {}
    charged_at = record["charged_at"]
    quoted = quoted_fen(record)
    return [
        record["id"], record["merchant_id"], record["order_id"], record["after_sale_id"], record["carrier"],
        outlet.get("outlet_id", ""), outlet.get("name", ""), record["tracking_no"], record["status"],
        record.get("result_reason") or "", record["created_at"], record.get("result_at") or "", charged_at,
        from_iso(charged_at).astimezone(SHANGHAI).date().isoformat(),
        fee["amount"], fee.get("currency", "CNY"), fee["settlement_mode"], fee["charged_on"],
        "" if quoted is None else quoted, "" if quoted is None else fee["amount"] - quoted, fee_source(record),
    ]


@dataclass
class _Sums:
    """Intercepts, fee charged, fee quoted and charged minus quoted (the last two over the rows with a
    quoted price)."""

    intercepts: int = 0
    fee_fen: int = 0
    fee_quote_fen: int = 0
    fee_difference_fen: int = 0

    def add(self, charged: int, quoted: int | None) -> None:
        self.intercepts += 1
        self.fee_fen += charged
        if quoted is not None:
            self.fee_quote_fen += quoted
            self.fee_difference_fen += charged - quoted

    def row(self) -> list[int]:
        return [self.intercepts, self.fee_fen, self.fee_quote_fen, self.fee_difference_fen]

    def merge(self, row: list[int]) -> None:
        self.intercepts += row[0]
        self.fee_fen += row[1]
        self.fee_quote_fen += row[2]
        self.fee_difference_fen += row[3]


@dataclass
class _Totals:
    all: _Sums = field(default_factory=_Sums)
    groups: dict[tuple, _Sums] = field(default_factory=dict)

    def add(self, record: Mapping[str, Any]) -> None:
        fee = record["fee"]
        outlet = fee.get("outlet") or {}
        group = (record["merchant_id"], record["carrier"], outlet.get("outlet_id", ""), outlet.get("name", ""),
                 fee["settlement_mode"])
        quoted = quoted_fen(record)
        self.groups.setdefault(group, _Sums()).add(fee["amount"], quoted)
        self.all.add(fee["amount"], quoted)

    def merge(self, document: Mapping[str, Any]) -> None:
        """Add a part's totals (`to_document`)."""
        self.all.merge(document["all"])
        for *group, intercepts, fee, quote, difference in document["groups"]:
            self.groups.setdefault(tuple(group), _Sums()).merge([intercepts, fee, quote, difference])

    def to_document(self) -> dict:
        return {"all": self.all.row(), "groups": [[*group, *sums.row()] for group, sums in sorted(self.groups.items())]}


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


def run_prefix(period_label: str, platform_id: str, run_id: str) -> str:
    return f"{export_prefix(period_label, platform_id)}run={run_id}/"


def write_part(s3: Any, bucket: str, prefix: str, part: str, records: Iterable[Mapping[str, Any]]) -> dict:
    """Stream `records` into the part's detail file under the run's `prefix` (none when there are
    none) and write the part's totals beside it; returns the totals document. Written again, a
    part replaces its own files."""
    totals = _Totals()
    rows = iter(records)
    first = next(rows, None)
    file = None
    if first is not None:
        with S3StreamWriter(s3, bucket, f"{prefix}detail-{part}.csv", "text/csv; charset=utf-8") as detail:
            chunks = _CsvChunks(detail, DETAIL_COLUMNS)
            for record in itertools.chain([first], rows):
                chunks.row(detail_row(record))
                totals.add(record)
            chunks.flush()
            file = _file_entry(f"detail-{part}.csv", detail, detail.close(), totals.all.intercepts)
    document = {"part": part, "file": file, **totals.to_document()}
    s3.put_object(Bucket=bucket, Key=f"{prefix}totals-{part}.json", ContentType="application/json",
                  Body=json.dumps(document, ensure_ascii=False).encode("utf-8"))
    return document


def read_part_totals(s3: Any, bucket: str, prefix: str, parts: list[str]) -> list[dict]:
    """Every part's totals document, in the order of `parts` (16 reads at a time)."""
    from concurrent.futures import ThreadPoolExecutor

    def read(part: str) -> dict:
        return json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}totals-{part}.json")["Body"].read())

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(read, parts))


def publish(s3: Any, bucket: str, platform_id: str, period: Period, run_id: str, parts: Iterable[Mapping[str, Any]],
            clock: Clock, query: Mapping[str, Any]) -> dict:
    """The run's summary from its parts' totals, then its manifest (the swap), then older runs deleted."""
    prefix = export_prefix(period.label, platform_id)
    run = run_prefix(period.label, platform_id, run_id)
    totals = _Totals()
    details = []
    for document in parts:
        totals.merge(document)
        if document["file"]:
            details.append(document["file"])
    with S3StreamWriter(s3, bucket, run + "summary.csv", "text/csv; charset=utf-8") as summary:
        chunks = _CsvChunks(summary, SUMMARY_COLUMNS)
        for group, sums in sorted(totals.groups.items()):
            chunks.row([*group, *sums.row()])
        chunks.flush()
        summary_entry = _file_entry("summary.csv", summary, summary.close(), len(totals.groups))
    manifest = {
        "period": period.label, "platform_id": platform_id, "run_id": run_id,
        "generated_at": to_iso(clock.now()), "timezone": "Asia/Shanghai",
        "period_start": to_iso(period.start), "period_end": to_iso(period.end),
        "files": [summary_entry, *sorted(details, key=lambda entry: entry["name"])],
        "totals": {"rows": totals.all.intercepts, "fee_fen": totals.all.fee_fen,
                   "fee_quote_fen": totals.all.fee_quote_fen,
                   "fee_difference_fen": totals.all.fee_difference_fen, "currency": "CNY"},
        "query": dict(query),
    }
    s3.put_object(Bucket=bucket, Key=prefix + "manifest.json", ContentType="application/json",
                  Body=json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
    _delete_other_runs(s3, bucket, prefix, run)
    return manifest


def export_fees(s3: Any, bucket: str, platform_id: str, period: Period, records: Iterable[Mapping[str, Any]],
                clock: Clock, query: Mapping[str, Any]) -> dict:
    """A run of one part holding `records`, published: the export of a small set at once (the bench)."""
    run_id = new_id("run", clock)
    part = write_part(s3, bucket, run_prefix(period.label, platform_id, run_id), "all", records)
    return publish(s3, bucket, platform_id, period, run_id, [part], clock, query)


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
