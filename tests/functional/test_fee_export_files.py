"""The export's files in S3: totals, checksums, Excel-friendly CSV, atomic replacement."""
import csv
import hashlib
import io

import boto3
import pytest

from chalicelib.exports.fee_report import export_fees, manifest_key, read_manifest
from chalicelib.exports.periods import parse_period
from chalicelib.exports.s3_stream import S3StreamWriter

BUCKET = "gateway-test-exports"
PERIOD = parse_period("2026-11-22")


def charged(n: int, amount: int = 300, merchant: str = "m-1", outlet_name: str = "杭州西湖网点",
            quoted: int | None = 300, source: str = "quote") -> dict:
    return {
        "id": f"icp_{n:05d}", "merchant_id": merchant, "order_id": f"o-{n}", "after_sale_id": f"as-{n}",
        "carrier": "zto", "tracking_no": f"ZT{n:010d}", "status": "intercepted", "result_reason": None,
        "created_at": "2026-11-22T01:00:00.000Z", "result_at": "2026-11-22T02:00:00.000Z",
        "charged_at": "2026-11-22T02:00:00.000Z",
        "fee": {"amount": amount, "currency": "CNY", "settlement_mode": "offline_outlet", "charged_on": "success",
                "outlet": {"outlet_id": "hz-01", "name": outlet_name, "fee": amount}, "source": source},
        "fee_quote": {"amount": quoted, "currency": "CNY", "settlement_mode": "offline_outlet",
                      "charged_on": "success", "outlet": {"outlet_id": "hz-01", "name": outlet_name, "fee": amount}},
    }


def read(s3, key: str) -> bytes:
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


@pytest.fixture
def s3(aws):
    return boto3.client("s3")


def test_totals_and_checksums_verify_from_s3_alone(s3, clock):
    records = [charged(n, amount=100 + n) for n in range(50)] + [charged(99, merchant="m-2")]
    manifest = export_fees(s3, BUCKET, "plat-a", PERIOD, records, clock, {"index": "charged"})
    charged_total = sum(100 + n for n in range(50)) + 300
    assert manifest["totals"] == {"rows": 51, "fee_fen": charged_total, "fee_quote_fen": 51 * 300,
                                  "fee_difference_fen": charged_total - 51 * 300, "currency": "CNY"}
    stored = read_manifest(s3, BUCKET, "2026-11-22", "plat-a")
    assert stored == manifest
    for entry in stored["files"]:
        body = read(s3, entry["key"])
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        assert len(body) == entry["bytes"]
    detail = [entry for entry in stored["files"] if entry["name"] == "detail-all.csv"][0]
    rows = list(csv.DictReader(io.StringIO(read(s3, detail["key"]).decode("utf-8-sig"))))
    assert len(rows) == detail["rows"] == 51
    assert sum(int(row["fee_fen"]) for row in rows) == stored["totals"]["fee_fen"]
    assert rows[0]["outlet_name"] == "杭州西湖网点"
    assert rows[0]["charged_date_cst"] == "2026-11-22"


def test_csv_starts_with_a_byte_order_mark_for_excel(s3, clock):
    manifest = export_fees(s3, BUCKET, "plat-a", PERIOD, [charged(1)], clock, {})
    for entry in manifest["files"]:
        assert read(s3, entry["key"]).startswith(b"\xef\xbb\xbf")


def test_the_summary_has_one_row_per_merchant_carrier_and_outlet(s3, clock):
    records = [charged(1), charged(2), charged(3, merchant="m-2")]
    manifest = export_fees(s3, BUCKET, "plat-a", PERIOD, records, clock, {})
    summary = [entry for entry in manifest["files"] if entry["name"] == "summary.csv"][0]
    rows = list(csv.DictReader(io.StringIO(read(s3, summary["key"]).decode("utf-8-sig"))))
    assert [(row["merchant_id"], row["intercepts"], row["fee_fen"]) for row in rows] == [
        ("m-1", "2", "600"), ("m-2", "1", "300")]


def rows_of(s3, manifest: dict, name: str) -> list[dict]:
    entry = [entry for entry in manifest["files"] if entry["name"] == name][0]
    return list(csv.DictReader(io.StringIO(read(s3, entry["key"]).decode("utf-8-sig"))))


def test_detail_rows_show_the_quote_the_charge_their_difference_and_the_source(s3, clock):
    records = [charged(1, amount=650, quoted=800, source="carrier"), charged(2, amount=300, quoted=300),
               charged(3, amount=900, quoted=None, source="carrier")]
    manifest = export_fees(s3, BUCKET, "plat-a", PERIOD, records, clock, {})
    rows = rows_of(s3, manifest, "detail-all.csv")
    assert [(row["fee_fen"], row["fee_quote_fen"], row["fee_difference_fen"], row["fee_source"]) for row in rows] == [
        ("650", "800", "-150", "carrier"), ("300", "300", "0", "quote"), ("900", "", "", "carrier")]
    assert manifest["totals"] == {"rows": 3, "fee_fen": 1850, "fee_quote_fen": 1100, "fee_difference_fen": -150,
                                  "currency": "CNY"}
    (summary,) = rows_of(s3, manifest, "summary.csv")
    assert (summary["intercepts"], summary["fee_fen"], summary["fee_quote_fen"], summary["fee_difference_fen"]) == \
        ("3", "1850", "1100", "-150")


def test_new_columns_come_after_the_earlier_ones():
    from chalicelib.exports.fee_report import DETAIL_COLUMNS, SUMMARY_COLUMNS

    assert DETAIL_COLUMNS[14:18] == ("fee_fen", "currency", "settlement_mode", "charged_on")
    assert DETAIL_COLUMNS[18:] == ("fee_quote_fen", "fee_difference_fen", "fee_source")
    assert SUMMARY_COLUMNS[:7] == ("merchant_id", "carrier", "outlet_id", "outlet_name", "settlement_mode",
                                   "intercepts", "fee_fen")


def test_a_fee_fixed_before_fees_named_their_source_reads_its_source_from_the_carriers_fee(s3, clock):
    earlier = charged(1, amount=650, quoted=800)
    del earlier["fee"]["source"]
    named = {**earlier, "id": "icp_00002", "carrier_fee": 650}
    rows = rows_of(s3, export_fees(s3, BUCKET, "plat-a", PERIOD, [earlier, named], clock, {}), "detail-all.csv")
    assert [row["fee_source"] for row in rows] == ["quote", "carrier"]


def test_re_exporting_replaces_the_previous_run(s3, clock):
    first = export_fees(s3, BUCKET, "plat-a", PERIOD, [charged(1)], clock, {})
    clock.advance(seconds=1)
    second = export_fees(s3, BUCKET, "plat-a", PERIOD, [charged(1), charged(2)], clock, {})
    assert read_manifest(s3, BUCKET, "2026-11-22", "plat-a")["run_id"] == second["run_id"] != first["run_id"]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix="fees/")["Contents"]]
    totals = f"fees/period=2026-11-22/platform=plat-a/run={second['run_id']}/totals-all.json"
    assert sorted(keys) == sorted([manifest_key("2026-11-22", "plat-a"), totals] + [f["key"] for f in second["files"]])


def test_a_failed_export_leaves_the_previous_one_whole(s3, clock):
    first = export_fees(s3, BUCKET, "plat-a", PERIOD, [charged(1)], clock, {})

    def breaks():
        yield charged(2)
        raise RuntimeError("table read failed")

    with pytest.raises(RuntimeError):
        export_fees(s3, BUCKET, "plat-a", PERIOD, breaks(), clock, {})
    assert read_manifest(s3, BUCKET, "2026-11-22", "plat-a") == first
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def test_the_stream_writer_uploads_in_parts_and_hashes_everything(s3):
    payload = b"x" * (5 * 1024 * 1024) + b"tail"
    with S3StreamWriter(s3, BUCKET, "parts.bin", "application/octet-stream", part_size=5 * 1024 * 1024) as out:
        out.write(payload[:3_000_000])
        out.write(payload[3_000_000:-4])  # reaches the part size: the first part goes out
        out.write(payload[-4:])
        digest = out.close()
    assert digest == hashlib.sha256(payload).hexdigest()
    assert s3.head_object(Bucket=BUCKET, Key="parts.bin")["ContentLength"] == len(payload)
    assert s3.head_object(Bucket=BUCKET, Key="parts.bin")["ETag"].strip('"').endswith("-2")  # two parts
