"""The local stage's clock offset: one item every local component reads (see chalicelib/clock.py)."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.store import keys
from chalicelib.store.codec import to_item
from chalicelib.store.table import Table


class LocalClockStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def offset_seconds(self) -> float:
        found = self._table.get(keys.local_clock())
        return float(found["offset_seconds"]) if found else 0.0

    def advance(self, seconds: float) -> float:
        """Add `seconds` to the stored offset atomically; returns the new offset."""
        found = self._table.update(
            keys.local_clock(), UpdateExpression="SET offset_seconds = if_not_exists(offset_seconds, :zero) + :delta",
            ExpressionAttributeValues=to_item({":zero": 0, ":delta": Decimal(str(seconds))}), ReturnValues="ALL_NEW")
        return float(found["offset_seconds"])
