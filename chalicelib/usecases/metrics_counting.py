"""Merchant metrics counters, kept from the table's stream: every committed change of a record adds
the difference it makes to its merchant's counters (`merchant_metrics.change_of`), so a metrics read
sums a range's counters instead of reading its records.

A batch of stream records is counted in runs: consecutive records whose counter items fit one
transaction (`ITEMS_PER_RUN`), committed with a marker named after the run's first record. Lambda
retries a stream batch from the record it was told failed, or (after a crash) from the same first
record; either is the start of a run: a run counted before is refused by its marker, which says
through which record it counted, and counting goes on after that record. So a change is counted
once however often its batch is delivered. The event source splits no failing batch in two
(`BisectBatchOnFunctionError` off for this function: a half would start inside a counted run);
a record that cannot be read is logged and left uncounted rather than stopping the stream.
"""
from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Any, Iterable

from chalicelib.clock import Clock
from chalicelib.domain.models import Intercept
from chalicelib.store import keys
from chalicelib.store.codec import data
from chalicelib.store.merchant_counters import ITEMS_PER_RUN, bucket_items
from chalicelib.usecases.merchant_metrics import change_of

if TYPE_CHECKING:
    from chalicelib.store.merchant_counters import MerchantCounterStore

log = logging.getLogger(__name__)


def record_delta(old_image: dict | None, new_image: dict | None) -> dict[tuple, Counter]:
    """A stream record's counter deltas, by counter item; none for items that are not a record."""
    image = new_image or old_image or {}
    if image.get("SK", {}).get("S") != keys.RECORD_WITH_HISTORY_UNTIL:
        return {}
    before = Intercept.model_validate(data(old_image)) if old_image else None
    after = Intercept.model_validate(data(new_image)) if new_image else None
    delta = change_of(before, after)
    if not delta:
        return {}
    record = after or before
    return {item: delta for item in bucket_items((record.platform_id, record.merchant_id, record.carrier.value,
                                                  record.created_at))}


class MetricsCounting:
    def __init__(self, counters: MerchantCounterStore, clock: Clock) -> None:
        self._counters = counters
        self._clock = clock

    def handle(self, records: Iterable[Any]) -> dict:
        """Count a batch of stream records (Chalice DynamoDBRecords); a run whose write fails fails
        the batch from its first record (Lambda retries from there)."""
        records = list(records)
        deltas = [self._delta(record) for record in records]
        start = 0
        while start < len(records):
            end, run = _run(deltas, start)
            first, last = records[start].sequence_number, records[end - 1].sequence_number
            if not run:  # nothing to count (deliveries, tracking, unchanged figures): no write
                start = end
                continue
            try:
                added = self._counters.add(first, last, run, int(self._clock.now().timestamp()))
                through = last if added else self._counters.counted_through(first)
            except Exception:  # noqa: BLE001 - reported to Lambda, which retries from this run
                log.exception("counting metrics failed", extra={"sequence_number": first})
                return {"batchItemFailures": [{"itemIdentifier": first}]}
            start = _after(records, start, through or last)
        return {"batchItemFailures": []}

    @staticmethod
    def _delta(record: Any) -> dict[tuple, Counter]:
        try:
            return record_delta(record.old_image, record.new_image)
        except Exception:  # noqa: BLE001 - an unreadable image is not counted; the stream goes on
            log.exception("a change could not be read for the metrics counters",
                          extra={"sequence_number": record.sequence_number})
            return {}


def _run(deltas: list[dict[tuple, Counter]], start: int) -> tuple[int, dict[tuple, Counter]]:
    """The run from `start`: as many records as keep its counter items within ITEMS_PER_RUN (at
    least one), their deltas summed per item; the index after its last record."""
    run: dict[tuple, Counter] = {}
    end = start
    while end < len(deltas):
        delta = deltas[end]
        if end > start and len(run.keys() | delta.keys()) > ITEMS_PER_RUN:
            break
        for item, amounts in delta.items():
            run.setdefault(item, Counter()).update(amounts)
        end += 1
    return end, {item: Counter({name: n for name, n in amounts.items() if n})
                 for item, amounts in run.items() if any(amounts.values())}


def _after(records: list[Any], start: int, through: str) -> int:
    """The index of the first record after `through` (stream sequence numbers grow within a shard)."""
    limit = int(through)
    return next((index for index in range(start, len(records)) if int(records[index].sequence_number) > limit),
                len(records))
