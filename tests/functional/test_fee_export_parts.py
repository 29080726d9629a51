"""A fee export run in parts: every charge in exactly one part, parts counted once under redelivery,
the manifest only after the last part, a failing part leaving the previous export readable, and a
second run refused while one is in progress."""
import csv
import io
import json

import boto3
import pytest

from chalicelib.api.openapi import FeeExportRun, FeeExportView
from chalicelib.carriers.base import CarrierResult
from chalicelib.exports.fee_export_parts import part_name
from chalicelib.exports.fee_report import manifest_key
from chalicelib.store.keys import shard_of
from tests.conftest import auth, end_visibility_timeouts, run_export_parts
from tests.functional.test_fee_exports_api import body_of, create, settle

BUCKET = "gateway-test-exports"
#: 2026-11-24 in Shanghai: 2026-11-23T16:00Z to 2026-11-24T16:00Z, in 12-hour slices (tests/conftest.py)
PERIOD = "2026-11-24"
SLICE_BOUNDARY = "2026-11-24T04:00:00.000Z"


def start(client, period: str = PERIOD):
    return client.http.post("/v1/exports/fees", headers=auth(), body=json.dumps({"period": period}))


def shown(client, period: str = PERIOD) -> dict:
    response = client.http.get(f"/v1/exports/fees/{period}", headers=auth())
    assert response.status_code == 200, response.body
    return body_of(response)


def detail_rows(manifest: dict) -> list[tuple[str, dict]]:
    """(file name, row) of every detail row of the export."""
    s3 = boto3.client("s3")
    rows = []
    for entry in manifest["files"]:
        if entry["name"].startswith("detail-"):
            body = s3.get_object(Bucket=BUCKET, Key=entry["key"])["Body"].read()
            rows += [(entry["name"], row) for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))]
    return rows


def charge_at(client, gw, clock, times: list[str], first: int = 0) -> list[str]:
    """An intercept charged at each of `times` (ascending, after the clock's time)."""
    from chalicelib.clock import from_iso

    ids = []
    for n, at in enumerate(times, start=first):
        intercept_id = create(client, n)
        clock.advance(seconds=(from_iso(at) - clock.now()).total_seconds())
        settle(gw, intercept_id, CarrierResult.intercepted)
        ids.append(intercept_id)
    return ids


@pytest.fixture
def charged(client, gw, clock) -> dict[str, str]:
    """Intercept id -> charged_at: at the period's first millisecond, on either side of the slice
    boundary and on it, at the last millisecond, and one at the next period's start (not in it)."""
    times = ["2026-11-23T16:00:00.000Z", "2026-11-23T20:00:00.000Z", "2026-11-24T03:59:59.999Z", SLICE_BOUNDARY,
             "2026-11-24T04:00:00.001Z", "2026-11-24T09:30:00.000Z", "2026-11-24T15:59:59.999Z",
             "2026-11-24T16:00:00.000Z"]
    ids = charge_at(client, gw, clock, times)
    clock.advance(minutes=1)
    return dict(zip(ids, times))


def test_every_charge_of_the_period_is_in_exactly_one_part_and_the_totals_add_up(client, gw, charged):
    response = start(client)
    assert response.status_code == 202, response.body
    run = body_of(response)
    assert (run["status"], run["parts_total"], run["parts_done"]) == ("running", 32 * 2, 0)
    FeeExportRun.model_validate(run)
    FeeExportView.model_validate(shown(client))  # documented as answered, before and after
    run_export_parts(gw)

    view = shown(client)
    FeeExportView.model_validate(view)
    manifest = view["manifest"]
    assert view["in_progress"] is None and manifest["run_id"] == run["run_id"]
    rows = detail_rows(manifest)
    in_period = {intercept_id: at for intercept_id, at in charged.items() if at < "2026-11-24T16:00:00.000Z"}
    assert sorted(row["intercept_id"] for _, row in rows) == sorted(in_period)  # each once, none outside
    assert manifest["totals"]["rows"] == len(in_period) == sum(entry["rows"] for entry in manifest["files"]
                                                               if entry["name"].startswith("detail-"))
    assert manifest["totals"]["fee_fen"] == sum(int(row["fee_fen"]) for _, row in rows) == 300 * len(in_period)
    for name, row in rows:
        slice_number = 0 if row["charged_at"] < SLICE_BOUNDARY else 1
        assert name == f"detail-{part_name(shard_of(row['intercept_id'], 32), slice_number)}.csv", row
    (on_boundary,) = [name for name, row in rows if row["charged_at"] == SLICE_BOUNDARY]
    assert on_boundary.endswith("-00001.csv")
    summary = [entry for entry in manifest["files"] if entry["name"] == "summary.csv"]
    assert summary and summary[0]["rows"] == 1


@pytest.mark.parametrize("copies", ["one after the other", "at once"])
def test_redelivered_messages_count_each_part_once(client, gw, charged, monkeypatch, copies):
    send_all = gw.queues.send_all
    if copies == "at once":  # both copies of a part look for its marker before either counts it
        monkeypatch.setattr(gw.store.fee_export_runs, "part_counted", lambda *args: False)

    def twice(queue, messages, delay_seconds=0):  # SQS delivers at least once: here, every message twice
        send_all(queue, [*messages, *messages], delay_seconds)

    monkeypatch.setattr(gw.queues, "send_all", twice)
    run = body_of(start(client))
    handed = run_export_parts(gw)
    assert handed == 2 * 32 + 2 * 2 * 64  # each shard's message twice, each sending its slices' twice
    stored = gw.store.fee_export_runs.get("plat-a", PERIOD)
    assert (stored["status"], stored["parts_done"], stored["parts_total"]) == ("published", 64, 64)
    manifest = shown(client)["manifest"]
    assert manifest["run_id"] == run["run_id"]
    assert manifest["totals"]["rows"] == len(detail_rows(manifest)) == len(charged) - 1


def test_a_part_counted_again_is_refused_by_its_marker(gw, client, charged):
    run = body_of(start(client))
    runs = gw.store.fee_export_runs
    outcomes = [runs.count_part("plat-a", PERIOD, run["run_id"], "0003-00001", "2026-11-24T17:00:00.000Z", 0)
                for _ in range(2)]
    assert outcomes == ["counted", "counted before"]
    assert runs.get("plat-a", PERIOD)["parts_done"] == 1
    assert runs.count_part("plat-a", PERIOD, "run_other", "0003-00001", "2026-11-24T17:00:00.000Z", 0) == "obsolete"


def test_the_manifest_appears_only_after_the_last_part(client, gw, charged):
    run = body_of(start(client))
    s3 = boto3.client("s3")
    seen = []
    while run_export_parts(gw, batches=1):
        view = shown(client)
        if view["in_progress"] is None:
            break
        assert view["manifest"] is None and view["downloads"] == {}
        assert s3.list_objects_v2(Bucket=BUCKET, Prefix=manifest_key(PERIOD, "plat-a")).get("KeyCount") == 0
        seen.append(view["in_progress"]["parts_done"])
    assert seen == sorted(seen) and seen[0] < seen[-1] < run["parts_total"]
    assert shown(client)["manifest"]["run_id"] == run["run_id"]


def test_a_failing_part_leaves_the_previous_export_readable_until_the_new_run_is_published(
        client, gw, clock, charged, monkeypatch):
    first = body_of(start(client))
    run_export_parts(gw)
    previous = shown(client)["manifest"]
    (late,) = charge_at(client, gw, clock, ["2026-11-24T17:00:00.000Z"], first=40)
    # charged after the period: the new run reads the same charges, one of its parts breaks
    charged_in = gw.store.intercepts.charged

    def breaks_on_shard_5(platform_id, start_at, end_at, shard=None):
        if shard == 5:
            raise RuntimeError("table read failed")
        return charged_in(platform_id, start_at, end_at, shard)

    monkeypatch.setattr(gw.store.intercepts, "charged", breaks_on_shard_5)
    second = body_of(start(client))
    assert second["run_id"] != first["run_id"]
    run_export_parts(gw)
    view = shown(client)
    assert view["manifest"] == previous
    assert view["in_progress"]["run_id"] == second["run_id"]
    assert view["in_progress"]["parts_done"] == second["parts_total"] - 2  # shard 5's two slices failed
    s3 = boto3.client("s3")
    for entry in previous["files"]:  # every file the manifest names is still there
        assert s3.head_object(Bucket=BUCKET, Key=entry["key"])["ContentLength"] == entry["bytes"]

    monkeypatch.setattr(gw.store.intercepts, "charged", charged_in)
    end_visibility_timeouts(gw.settings.export_parts_queue)
    run_export_parts(gw)
    view = shown(client)
    assert view["in_progress"] is None and view["manifest"]["run_id"] == second["run_id"]
    assert view["manifest"]["totals"] == previous["totals"] and late not in charged
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix="fees/")["Contents"]}
    assert not [key for key in keys if f"run={first['run_id']}" in key]  # the older run is deleted


def test_a_second_run_is_refused_while_one_is_in_progress_unless_it_stalled(client, gw, clock, charged):
    first = start(client)
    assert first.status_code == 202
    again = start(client)
    assert again.status_code == 409, again.body
    error = body_of(again)["error"]
    assert (error["code"], error["run"]["run_id"], error["run"]["status"]) == (
        "export_in_progress", body_of(first)["run_id"], "running")
    assert gw.export_fees_daily() == 1  # the other platform's day; this one's run in progress is kept

    clock.advance(hours=2, seconds=1)  # no part counted for two hours: stalled
    replacing = start(client)
    assert replacing.status_code == 202, replacing.body
    run_export_parts(gw)  # the first run's messages find it replaced and do nothing
    stored = gw.store.fee_export_runs.get("plat-a", PERIOD)
    assert (stored["run_id"], stored["status"], stored["parts_done"]) == (
        body_of(replacing)["run_id"], "published", stored["parts_total"])
    assert shown(client)["manifest"]["run_id"] == body_of(replacing)["run_id"]
    assert start(client).status_code == 202  # published: a new run may start at once


def test_a_run_whose_parts_could_not_be_queued_is_abandoned_and_a_new_one_may_start(client, gw, charged, monkeypatch):
    from chalicelib.queues import QueueSendFailed

    def refused(queue, messages, delay_seconds=0):
        raise QueueSendFailed(f"{queue}: refused")

    with monkeypatch.context() as broken:
        broken.setattr(gw.queues, "send_all", refused)
        assert start(client).status_code == 500
    assert gw.store.fee_export_runs.get("plat-a", PERIOD)["status"] == "abandoned"
    assert client.http.get(f"/v1/exports/fees/{PERIOD}", headers=auth()).status_code == 404
    assert start(client).status_code == 202
