"""Merchants' metrics counters: per (merchant, UTC day or hour of creation, carrier), write-sharded.

The metrics counter (chalicelib/usecases/metrics_counting.py) adds a run of stream records' deltas
in one transaction with the run's marker (`keys.counted`), created only if absent: a run counted
once is refused when it is counted again, and its marker says through which record it counted. A
reader sums every shard's items of a range: at most 3 queries per shard (the leading hours, the
whole days, the trailing hours), whatever the number of interceptions.
"""
from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from urllib.parse import unquote

from chalicelib.store import keys
from chalicelib.store.codec import data, to_item
from chalicelib.store.keys import Shards, shard_of
from chalicelib.store.table import Table, TransactionCancelled, new_put

#: Stream records live 24 hours: a marker is kept for two days, then expires (the table's TTL).
MARKER_SECONDS = 2 * 24 * 3600

#: A transaction holds at most 100 items: the run's marker and this many counter items.
ITEMS_PER_RUN = 99

#: (platform id, merchant id, carrier, created_at) of the record a delta counts.
Bucket = tuple[str, str, str, str]


def bucket_items(bucket: Bucket) -> list[tuple[str, str, str]]:
    """(platform, merchant, sort key) of the day item and the hour item a record's delta goes to;
    the run that adds it picks the shard."""
    platform_id, merchant_id, carrier, created_at = bucket
    return [(platform_id, merchant_id, keys.counter_bucket(keys.DAY_BUCKET, created_at[:10], carrier)),
            (platform_id, merchant_id, keys.counter_bucket(keys.HOUR_BUCKET, created_at[:13], carrier))]


class MerchantCounterStore:
    def __init__(self, table: Table, shards: Shards) -> None:
        self._table = table
        self._shards = shards

    @property
    def shards(self) -> int:
        return self._shards.metrics

    def add(self, first_sequence_number: str, through_sequence_number: str, deltas: dict[tuple, Counter],
            now_epoch: int) -> bool:
        """Add `deltas` (`bucket_items` entry -> attribute -> amount, at most ITEMS_PER_RUN) with the
        run's marker, in one transaction, on the shard the run's first record picks; False when the
        marker exists (this run was counted before)."""
        shard = shard_of(first_sequence_number, self._shards.metrics)
        entries = [new_put({**keys.counted(first_sequence_number), "through": through_sequence_number,
                            "expires_at": now_epoch + MARKER_SECONDS})]
        for (platform_id, merchant_id, sort_key), delta in deltas.items():
            partition = keys.merchant_counters(platform_id, merchant_id, shard)
            names = {f"#a{n}": name for n, name in enumerate(delta)}
            values = {f":a{n}": amount for n, amount in enumerate(delta.values())}
            entries.append({"Update": {"Key": to_item({"PK": partition, "SK": sort_key}),
                                       "UpdateExpression": "ADD " + ", ".join(f"#a{n} :a{n}" for n in range(len(delta))),
                                       "ExpressionAttributeNames": names,
                                       "ExpressionAttributeValues": to_item(values)}})
        try:
            self._table.transact(entries)
        except TransactionCancelled as refused:
            if refused.failed_at(0):
                return False
            raise
        return True

    def counted_through(self, first_sequence_number: str) -> str | None:
        """The last record a run counted from this one, or None if none was."""
        marker = self._table.get(keys.counted(first_sequence_number))
        return marker["through"] if marker else None

    def read(self, platform_id: str, merchant_id: str, first: datetime, last: datetime,
             hourly: bool = False) -> dict[tuple[str, str], Counter]:
        """(bucket, carrier) -> the counters of the merchant's intercepts created in [first, last),
        both on the hour (UTC). A bucket is the UTC day (`2026-11-23`) or hour (`2026-11-23T08`) of
        an item: whole days from the day items, the hours around them from the hour items; or every
        hour from the hour items (`hourly`), still one sort-key range per shard."""
        ranges = [_hour_range(first, last)] if hourly else _sort_key_ranges(first, last)
        partitions = [keys.merchant_counters(platform_id, merchant_id, n) for n in range(self._shards.metrics)]
        queries = [(partition, low, high) for partition in partitions for low, high in ranges]
        with ThreadPoolExecutor(max_workers=min(8, len(queries))) as pool:
            pages = list(pool.map(lambda query: list(self._table.query_all(
                KeyConditionExpression="PK = :pk AND SK BETWEEN :low AND :high",
                ExpressionAttributeValues=to_item({":pk": query[0], ":low": query[1], ":high": query[2]}))), queries))
        counted: dict[tuple[str, str], Counter] = {}
        for items in pages:
            for item in items:
                _, bucket, carrier = item["SK"]["S"].split("#", 2)
                counted.setdefault((bucket, unquote(carrier)), Counter()).update(
                    {name: value for name, value in data(item).items() if isinstance(value, int)})
        return counted


def _hour_range(start: datetime, end: datetime) -> tuple[str, str]:
    """The sort-key range of the hour items of [start, end)."""
    final = end - timedelta(hours=1)
    return (f"{keys.HOUR_BUCKET}#{start.strftime('%Y-%m-%dT%H')}",
            f"{keys.HOUR_BUCKET}#{final.strftime('%Y-%m-%dT%H')}{keys.AFTER}")


def _sort_key_ranges(first: datetime, last: datetime) -> list[tuple[str, str]]:
    """The sort-key ranges of [first, last): hour items up to the first midnight, day items of the
    whole days, hour items after the last midnight."""
    midnight = first.replace(hour=0) + (timedelta(days=1) if first.hour else timedelta())
    last_midnight = last.replace(hour=0)
    if midnight >= last_midnight:
        return [_hour_range(first, last)]
    ranges = [_hour_range(first, midnight)] if first < midnight else []
    final_day = last_midnight - timedelta(days=1)
    ranges.append((f"{keys.DAY_BUCKET}#{midnight.strftime('%Y-%m-%d')}",
                   f"{keys.DAY_BUCKET}#{final_day.strftime('%Y-%m-%d')}{keys.AFTER}"))
    if last_midnight < last:
        ranges.append(_hour_range(last_midnight, last))
    return ranges
