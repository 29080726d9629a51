"""Reading a write-sharded index as one: its shards' pages merged in sort-key order, with a position
per shard so a page can end anywhere and the next one go on from there.

An index whose partition key is `<partition>#<shard>` spreads one logical partition's writes over
many partition-key values (see store/keys.py::Shards). A reader queries every shard (in
parallel), and takes the entries in descending (or ascending) sort-key order across them: the
first page of each shard is read; whenever the shard whose head was taken runs out of what was
read, its next page is. A position per shard records the last entry taken, as its sort key and table
key (entries with equal sort keys are told apart by the table key), or that the shard is done, so
a cursor covers every shard.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from chalicelib.store.codec import to_item
from chalicelib.store.refusals import InvalidCursor
from chalicelib.store.table import Table

#: A shard's position: None (not read yet), DONE (every entry taken), or [sort key, PK, SK] of the
#: last entry taken.
DONE = 0
#: A cursor inflates to at most this (a position per shard: a few KB); a larger one is refused.
MAX_CURSOR_BYTES = 64 * 1024


@dataclass
class _Shard:
    partition: str
    position: Any                 # None | DONE | [sort key, PK, SK] of the last entry taken
    buffer: list[dict] = field(default_factory=list)
    more: bool = True             # DynamoDB has more after the buffer


@dataclass
class ShardedIndex:
    """One logical partition of a sharded index: `partitions` (one per shard) of `index`."""

    table: Table
    index: str
    partition_name: str
    sort_name: str
    partitions: list[str]
    #: a key condition on the sort key (" AND <sort> BETWEEN :from AND :to"), with its values
    sort_condition: str = ""
    sort_values: dict = field(default_factory=dict)
    newest_first: bool = True

    def fingerprint(self) -> str:
        """What a cursor must belong to: the index, its partitions and the sort condition."""
        text = json.dumps([self.index, self.partitions[0] if self.partitions else "", len(self.partitions),
                           self.sort_condition, sorted(self.sort_values.items()), self.newest_first])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def start(self, cursor: str | None) -> list[_Shard]:
        positions = _decode(cursor, self.fingerprint(), len(self.partitions)) if cursor else [None] * len(
            self.partitions)
        return [_Shard(partition, position, more=position != DONE)
                for partition, position in zip(self.partitions, positions)]

    def cursor(self, shards: list[_Shard]) -> str | None:
        """The position after what was taken; None when every shard is done."""
        positions = [DONE if not shard.more and not shard.buffer else shard.position for shard in shards]
        if all(position == DONE for position in positions):
            return None
        payload = json.dumps({"q": self.fingerprint(), "p": positions}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(zlib.compress(payload, 9)).decode()

    def take(self, shards: list[_Shard], wanted: int, page: int) -> tuple[list[dict], int]:
        """The next `wanted` entries across the shards in order; also the entries read doing so."""
        read = self._fill([shard for shard in shards if not shard.buffer and shard.more], page)
        taken: list[dict] = []
        while len(taken) < wanted:
            live = [shard for shard in shards if shard.buffer]
            if not live:
                break
            pick = (max if self.newest_first else min)(live, key=lambda shard: self._order(shard.buffer[0]))
            entry = pick.buffer.pop(0)
            pick.position = list(self._order(entry))
            taken.append(entry)
            if not pick.buffer and pick.more:
                read += self._fill([pick], page)
        return taken, read

    def _order(self, entry: dict) -> tuple[str, str, str]:
        return entry[self.sort_name]["S"], entry["PK"]["S"], entry["SK"]["S"]

    def _fill(self, shards: list[_Shard], page: int) -> int:
        if not shards:
            return 0
        with ThreadPoolExecutor(max_workers=min(16, len(shards))) as pool:
            return sum(pool.map(lambda shard: self._read(shard, page), shards))

    def _read(self, shard: _Shard, page: int) -> int:
        params: dict[str, Any] = {
            "IndexName": self.index, "Limit": page, "ScanIndexForward": not self.newest_first,
            "KeyConditionExpression": f"{self.partition_name} = :pk{self.sort_condition}",
            "ExpressionAttributeValues": to_item({":pk": shard.partition, **self.sort_values})}
        if isinstance(shard.position, list):
            sort_key, pk, sk = shard.position
            params["ExclusiveStartKey"] = to_item({self.partition_name: shard.partition, self.sort_name: sort_key,
                                                   "PK": pk, "SK": sk})
        answer = self.table.query(**params)
        shard.buffer = answer.get("Items", [])
        shard.more = "LastEvaluatedKey" in answer
        return answer.get("ScannedCount", len(shard.buffer))


def _decode(cursor: str, fingerprint: str, shards: int) -> list:
    try:
        inflater = zlib.decompressobj()
        text = inflater.decompress(base64.urlsafe_b64decode(cursor.encode()), MAX_CURSOR_BYTES)
        if inflater.unconsumed_tail:
            raise ValueError("cursor too large")
        decoded = json.loads(text)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError, zlib.error) as error:
        raise InvalidCursor("cursor is not one this API issued") from error
    if not isinstance(decoded, dict) or decoded.get("q") != fingerprint:
        raise InvalidCursor("cursor does not belong to this query")
    positions = decoded.get("p")
    if (not isinstance(positions, list) or len(positions) != shards
            or not all(position is None or (type(position) is int and position == DONE) or _entry_key(position)
                       for position in positions)):
        raise InvalidCursor("cursor does not belong to this query")
    return positions


def _entry_key(position: Any) -> bool:
    return (isinstance(position, list) and len(position) == 3
            and all(isinstance(part, str) and 0 < len(part) <= 1024 for part in position))
