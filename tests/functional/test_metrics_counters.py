"""Merchant metrics from counters the stream keeps: every change counted once, however often and
however split its stream batch is delivered, and a read whose cost does not grow with the range's
interceptions."""
import json

import pytest

from chalicelib.domain.models import InterceptStatus
from chalicelib.store import keys
from chalicelib.store.codec import to_item
from chalicelib.usecases.merchant_metrics import metrics_report
from tests.conftest import auth, count_metrics, intercept_body, post_intercept
from tests.functional.test_store_races import pending_intercept

DAY = ("2026-11-23T00:00:00.000Z", "2026-11-24T00:00:00.000Z")


class StreamRecord:
    """What the handler reads of a Chalice DynamoDBRecord."""

    def __init__(self, sequence_number: int, old, new) -> None:
        self.sequence_number = str(sequence_number)
        self.old_image, self.new_image = old, new


def image(record) -> dict:
    return to_item({**keys.intercept(record.id), **record.model_dump(mode="json", exclude={"events", "claims",
                                                                                            "tracking"})})


def changes(merchants: int) -> list[StreamRecord]:
    """Per merchant: a record created, then failed (two changes)."""
    stream, number = [], 1000
    for n in range(merchants):
        created = pending_intercept(f"icp_{n:03d}").model_copy(update={
            "merchant_id": f"m-{n:03d}", "created_at": "2026-11-23T08:00:00.000Z"})
        failed = created.model_copy(update={"status": InterceptStatus.failed, "result_reason": "parcel_signed",
                                            "result_at": "2026-11-23T08:00:30.000Z"})
        stream += [StreamRecord(number, None, image(created)), StreamRecord(number + 10, image(created), image(failed))]
        number += 20
    return stream


def figures(gw, merchant: str) -> dict:
    return metrics_report(gw.store.merchant_counters, "plat-a", merchant, *DAY)["total"]


def assert_each_merchant_counted_once(gw, merchants: int) -> None:
    for n in range(merchants):
        total = figures(gw, f"m-{n:03d}")
        assert (total["intercepts"], total["by_status"], total["failure_reasons"]) == (
            1, {"failed": 1}, {"parcel_signed": 1}), n


def test_a_batch_delivered_twice_is_counted_once(gw):
    batch = changes(3)
    assert gw.metrics_counting.handle(batch) == {"batchItemFailures": []}
    assert gw.metrics_counting.handle(batch) == {"batchItemFailures": []}
    assert_each_merchant_counted_once(gw, 3)


def test_a_batch_too_big_for_one_transaction_is_counted_in_runs(gw, monkeypatch):
    transactions = []
    transact = gw.store.table.transact
    monkeypatch.setattr(gw.store.table, "transact", lambda entries: transactions.append(len(entries)) or
                        transact(entries))
    gw.metrics_counting.handle(changes(60))  # 60 merchants x (day + hour item) = 120 counter items
    assert len(transactions) == 2 and max(transactions) <= 100
    monkeypatch.undo()
    assert_each_merchant_counted_once(gw, 60)


def test_a_run_that_failed_is_retried_from_its_first_record_and_nothing_is_counted_twice(gw, monkeypatch):
    batch = changes(60)
    add = gw.store.merchant_counters.add
    calls = []

    def second_run_throttled(first, *args):
        calls.append(first)
        if len(calls) == 2:
            raise RuntimeError("ProvisionedThroughputExceededException")
        return add(first, *args)

    monkeypatch.setattr(gw.store.merchant_counters, "add", second_run_throttled)
    failed = gw.metrics_counting.handle(batch)["batchItemFailures"]
    assert failed == [{"itemIdentifier": calls[1]}]  # Lambda retries from the second run's first record
    retried = [record for record in batch if int(record.sequence_number) >= int(calls[1])]
    assert gw.metrics_counting.handle(retried) == {"batchItemFailures": []}
    assert_each_merchant_counted_once(gw, 60)


def test_a_batch_redelivered_longer_after_a_crash_counts_only_what_it_had_not(gw):
    batch = changes(60)
    gw.metrics_counting.handle(batch[:30])  # counted, then the function crashed before answering
    gw.metrics_counting.handle(batch)       # Lambda delivers from the same record, with more behind it
    assert_each_merchant_counted_once(gw, 60)


def test_an_unreadable_change_is_left_uncounted_and_the_stream_goes_on(gw):
    batch = changes(2)
    batch.insert(1, StreamRecord(int(batch[0].sequence_number) + 5, None, {
        "PK": {"S": "INTERCEPT#x"}, "SK": {"S": "META"}, "status": {"S": "no-such-status"}}))
    assert gw.metrics_counting.handle(batch) == {"batchItemFailures": []}
    assert_each_merchant_counted_once(gw, 2)


@pytest.mark.parametrize("days", [1, 80])
def test_a_read_makes_the_same_queries_whatever_the_range_holds(gw, monkeypatch, days):
    gw.metrics_counting.handle(changes(1))
    queries = []
    query = gw.store.table.query
    monkeypatch.setattr(gw.store.table, "query", lambda **params: queries.append(params) or query(**params))
    start = "2026-11-23T06:30:00.000Z"
    end = {1: "2026-11-24T09:00:00.000Z", 80: "2027-02-11T09:00:00.000Z"}[days]
    report = metrics_report(gw.store.merchant_counters, "plat-a", "m-000", start, end)
    assert report["total"]["intercepts"] == 1
    # per shard at most: the leading hours, the whole days, the trailing hours; one page each
    assert len(queries) == {1: 1, 80: 3}[days] * gw.store.merchant_counters.shards
    assert (report["from"], report["to"]) == ("2026-11-23T06:00:00.000Z", end)


def test_the_api_answers_from_the_counters_the_stream_kept(client, gw):
    for n in range(3):
        assert post_intercept(client, intercept_body(tracking_no=f"ZT10000000{n}3", order_id=f"o-{n}",
                                                     after_sale_id=f"as-{n}"), idempotency_key=f"k-{n}").status_code == 202
    query = "from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z"
    before = json.loads(client.http.get(f"/v1/merchants/demo-merchant/metrics?{query}", headers=auth()).body)
    assert before["total"]["intercepts"] == 0  # not counted until the stream is read
    count_metrics(gw)
    count_metrics(gw)  # read again: nothing new
    after = json.loads(client.http.get(f"/v1/merchants/demo-merchant/metrics?{query}", headers=auth()).body)
    assert after["total"]["intercepts"] == 3 and after["total"]["by_status"] == {"pending": 3}


def charged_changes(created: list[tuple[str, int]]) -> list[StreamRecord]:
    """Per (creation time, fee): a record created, then intercepted and charged that fee."""
    stream = []
    for n, (created_at, fee) in enumerate(created):
        pending = pending_intercept(f"icp_fee_{n:03d}").model_copy(update={"merchant_id": "m-000",
                                                                          "created_at": created_at})
        charged = pending.model_copy(update={"status": InterceptStatus.intercepted, "result_at": created_at,
                                             "fee": {"amount": fee, "currency": "CNY", "charged_on": "success",
                                                     "settlement_mode": "offline_outlet"}, "charged_at": created_at})
        stream += [StreamRecord(5000 + 20 * n, None, image(pending)), StreamRecord(5010 + 20 * n, image(pending),
                                                                                  image(charged))]
    return stream


def counted_queries(gw, monkeypatch) -> list:
    queries = []
    query = gw.store.table.query
    monkeypatch.setattr(gw.store.table, "query", lambda **params: queries.append(params) or query(**params))
    return queries


def test_a_series_by_day_has_every_day_and_sums_its_fees_from_the_one_read(gw, monkeypatch):
    gw.metrics_counting.handle(charged_changes([("2026-11-23T08:00:00.000Z", 300), ("2026-11-23T23:59:00.000Z", 450),
                                                ("2026-11-25T00:00:00.000Z", 500)]))
    queries = counted_queries(gw, monkeypatch)
    plain = metrics_report(gw.store.merchant_counters, "plat-a", "m-000", "2026-11-23T00:00:00Z", "2026-11-26T00:00:00Z")
    plain_calls = len(queries)
    queries.clear()
    # widened to whole UTC days
    report = metrics_report(gw.store.merchant_counters, "plat-a", "m-000", "2026-11-23T05:00:00Z",
                            "2026-11-25T13:30:00Z", interval="day")
    assert len(queries) == plain_calls == gw.store.merchant_counters.shards
    assert (report["from"], report["to"]) == ("2026-11-23T00:00:00.000Z", "2026-11-26T00:00:00.000Z")
    assert [(entry["from"], entry["to"], entry["total"]["intercepts"], entry["total"]["fees_fen"])
            for entry in report["series"]] == [
        ("2026-11-23T00:00:00.000Z", "2026-11-24T00:00:00.000Z", 2, 750),
        ("2026-11-24T00:00:00.000Z", "2026-11-25T00:00:00.000Z", 0, 0),
        ("2026-11-25T00:00:00.000Z", "2026-11-26T00:00:00.000Z", 1, 500)]
    assert report["series"][1]["by_carrier"] == {} and report["series"][0]["by_carrier"]["zto"]["fees_fen"] == 750
    assert report["total"] == plain["total"] and report["total"]["fees_fen"] == 1250


def test_a_series_by_hour_reads_the_hour_items_once(gw, monkeypatch):
    gw.metrics_counting.handle(charged_changes([("2026-11-23T08:10:00.000Z", 300), ("2026-11-23T10:59:00.000Z", 450),
                                                ("2026-11-24T01:00:00.000Z", 500)]))
    queries = counted_queries(gw, monkeypatch)
    plain = metrics_report(gw.store.merchant_counters, "plat-a", "m-000", "2026-11-23T07:30:00Z", "2026-11-24T02:00:00Z")
    plain_calls = len(queries)
    queries.clear()
    report = metrics_report(gw.store.merchant_counters, "plat-a", "m-000", "2026-11-23T07:30:00Z",
                            "2026-11-24T02:00:00Z", interval="hour")
    assert len(queries) == gw.store.merchant_counters.shards <= plain_calls
    series = report["series"]
    assert len(series) == 19 and series[0]["from"] == "2026-11-23T07:00:00.000Z"
    assert {entry["from"][11:13] + "h" + entry["from"][8:10]: entry["total"]["fees_fen"]
            for entry in series if entry["total"]["intercepts"]} == {"08h23": 300, "10h23": 450, "01h24": 500}
    assert sum(entry["total"]["intercepts"] for entry in series) == 3
    assert report["total"] == plain["total"]


@pytest.mark.parametrize("query", [
    "interval=week", "interval=", "interval=hour&from=2026-11-01T00:00:00Z&to=2026-12-02T01:00:00Z",
    "interval=day&from=2026-11-01T12:00:00Z&to=2027-02-02T11:00:00Z"])
def test_a_bad_interval_or_a_series_too_long_is_400_naming_interval(client, query):
    if "from=" not in query:
        query += "&from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z"
    response = client.http.get(f"/v1/merchants/demo-merchant/metrics?{query}", headers=auth())
    assert response.status_code == 400
    assert [item["field"] for item in json.loads(response.body)["error"]["fields"]] == ["interval"]


@pytest.mark.parametrize("query, entries", [
    ("interval=hour&from=2026-11-01T00:00:00Z&to=2026-12-02T00:00:00Z", 744),
    ("interval=day&from=2026-11-01T00:00:00Z&to=2027-02-02T00:00:00Z", 93)])
def test_the_longest_series_are_answered(client, query, entries):
    response = client.http.get(f"/v1/merchants/demo-merchant/metrics?{query}", headers=auth())
    assert response.status_code == 200, response.body
    assert len(json.loads(response.body)["series"]) == entries
