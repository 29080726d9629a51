"""A parcel's tracking scans (走件记录): one item per scan in its intercept's partition.

The sort key is the scan itself, `CARRIERSCAN#<at>#<digest of code, text, location>`, so a scan
learned twice (a repeated push, the same list at every poll) is the same item and is kept once:
writing it again puts the same values. The items sort before `META`, so the record's history query
(`InterceptStore.get_with_history`) reads them with no call of its own. Kept out of the record item,
a record write stays one write unit whatever the parcel's history (docs/costs.md).
"""
from __future__ import annotations

import hashlib
from typing import Iterable

from chalicelib.domain.stages import TrackingScan, in_order
from chalicelib.store import keys
from chalicelib.store.codec import to_item
from chalicelib.store.table import Table


def scan_key(intercept_id: str, scan: TrackingScan) -> dict:
    digest = hashlib.blake2b("\x1f".join((scan.code, scan.text or "", scan.location or "")).encode(),
                             digest_size=8).hexdigest()
    return keys.tracking_scan(intercept_id, scan.at, digest)


class TrackingStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def add(self, intercept_id: str, scans: Iterable[TrackingScan], only_new: bool = False) -> int:
        """Keep `scans` (each once, at most TRACKING_CAP, the newest); the number written.

        `only_new`: first read which are kept already (one Query of the partition's scan keys, at a
        quarter of a write unit's price per 4 KB) and write only the others: for a tracking query's
        whole list, asked again at every poll. A push's few scans are written as they come.
        """
        wanted = {scan_key(intercept_id, scan)["SK"]: scan for scan in in_order(scans)}
        if only_new and wanted:
            for item in self._table.query_all(
                    KeyConditionExpression="PK = :pk AND begins_with(SK, :scans)", ProjectionExpression="SK",
                    ExpressionAttributeValues=to_item({":pk": keys.intercept(intercept_id)["PK"],
                                                       ":scans": keys.TRACKING_PREFIX})):
                wanted.pop(item["SK"]["S"], None)
        pk = keys.intercept(intercept_id)["PK"]
        self._table.write_all([to_item({"PK": pk, "SK": sort_key, **scan.model_dump(mode="json")})
                               for sort_key, scan in wanted.items()])
        return len(wanted)
