"""A parcel's tracking scans (走件记录): one item per intercept, `CARRIERTRACKING`, holding the scans
oldest first as zlib-compressed JSON.

One item, not one per scan: the create's tracking query usually answers every scan since pickup,
and one compressed item of them all is one write unit (a few hundred bytes for ten scans) where an
item per scan would be one each. The item sorts before `META`, so the record's history query
(`InterceptStore.get_with_history`) reads it with no call of its own; kept out of the record item,
a record write stays one write unit whatever the parcel's history (docs/costs.md).

Every write is conditioned on the item's `version` (or on its absence), so a push and a poll that
learn scans at the same moment merge instead of overwriting each other; a scan learned twice is
kept once (`in_order`).
"""
from __future__ import annotations

import json
from typing import Iterable

from chalicelib.domain.stages import TrackingScan, in_order
from chalicelib.store import keys
from chalicelib.store.codec import pack, unpack
from chalicelib.store.refusals import StaleState
from chalicelib.store.table import Table

#: Conditional writes lost to a concurrent merge before giving up (StaleState).
MERGE_ATTEMPTS = 5


def scans_of(item: dict) -> list[TrackingScan]:
    """The scans a tracking item holds (its attributes as `Table.get` or `codec.data` reads them)."""
    return [TrackingScan.model_validate(scan) for scan in json.loads(unpack(item["scans"]))]


class TrackingStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def add(self, intercept_id: str, scans: Iterable[TrackingScan], new_record: bool = False) -> int:
        """Merge `scans` into the kept ones (each once, oldest first, at most TRACKING_CAP); the
        number added. Nothing new: no write. `new_record`: the intercept was just created, so there
        is nothing to read first. StaleState after MERGE_ATTEMPTS lost races."""
        learned = in_order(scans)
        if not learned:
            return 0
        key = keys.tracking(intercept_id)
        for attempt in range(MERGE_ATTEMPTS):
            item = None if new_record and attempt == 0 else self._table.get(key)
            kept = scans_of(item) if item else []
            merged = in_order([*kept, *learned])
            if merged == kept:
                return 0
            text = json.dumps([scan.model_dump(mode="json") for scan in merged], ensure_ascii=False,
                              separators=(",", ":"))
            version = item["version"] if item else 0
            condition = {"ConditionExpression": "version = :version",
                         "ExpressionAttributeValues": {":version": {"N": str(version)}}} if item else \
                {"ConditionExpression": "attribute_not_exists(PK)"}
            if self._table.put({**key, "scans": pack(text), "count": len(merged), "version": version + 1},
                               **condition):
                return len({scan.identity for scan in merged} - {scan.identity for scan in kept})
        raise StaleState(f"tracking of {intercept_id} changed {MERGE_ATTEMPTS} times while merging")
