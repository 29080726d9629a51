"""TransactWriteItems in moto, rolled back by the items it names instead of whole-table copies.

To undo a cancelled transaction moto deep-copies every table the transaction names, once per item
in it, before applying anything. The gateway writes each state change as a transaction of several
items into one table, so that copy grows with the table and becomes most of the local stack's CPU
(profiled under bench/load.py: about 70%), and the local stack slows down the longer it runs.

Installed by LocalAws: moto's copy of a table becomes the table itself (nothing else in moto's
DynamoDB backend copies a table), and the items the transaction names are copied instead and put
back if it is cancelled, with the stream records its applied part wrote taken off the table's
stream (DynamoDB streams only committed changes; the outbox relay must not see a cancelled one).
LocalAws applies DynamoDB requests one at a time, so no other write can slip in between.

`install_stream_copies()` is for moto's in-process mock, which keeps moto's whole-table copies:
a table's stream is copied by reference to its (never changed) records instead of deeply, so the
copy does not grow with every change the table has streamed.
"""
from __future__ import annotations

import copy
import functools
import types
from typing import Any

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import StreamShard, Table

from local import moto_version

_INSTALLED_FLAG = "_rolls_back_named_items"


def _deepcopy_except_tables(value: Any, memo: dict | None = None) -> Any:
    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _named_items(backend: DynamoDBBackend, transact_items: list[dict]) -> list[tuple[Table, Any, Any, Any]]:
    """(table, hash key, range key, a copy of the item or None) for every item the transaction names."""
    named = []
    for entry in transact_items:
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        operation = next(iter(entry.values()))
        table = backend.tables.get(operation.get("TableName")) if isinstance(operation, dict) else None
        if table is None:
            continue
        key = operation.get("Key") or operation.get("Item") or {}
        if table.hash_key_attr not in key or (table.range_key_attr and table.range_key_attr not in key):
            continue
        hash_key = DynamoType(key[table.hash_key_attr])
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        named.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    return named


def _stream_lengths(named: list[tuple[Table, Any, Any, Any]]) -> dict[int, tuple[StreamShard, int]]:
    shards = {id(table.stream_shard): table.stream_shard for table, *_ in named if table.stream_shard is not None}
    return {key: (shard, len(shard.items)) for key, shard in shards.items()}


def _put_back(named: list[tuple[Table, Any, Any, Any]]) -> None:
    for table, hash_key, range_key, item in reversed(named):
        if range_key is None:
            if item is None:
                table.items.pop(hash_key, None)
            else:
                table.items[hash_key] = item
        elif item is None:
            if hash_key in table.items:
                table.items[hash_key].pop(range_key, None)
        else:
            table.items[hash_key][range_key] = item


def install() -> None:
    """Patch moto's DynamoDB backend in this process (idempotent)."""
    moto_version.check()
    if getattr(DynamoDBBackend, _INSTALLED_FLAG, False):
        return
    dynamodb_models.copy = types.SimpleNamespace(**{**vars(copy), "deepcopy": _deepcopy_except_tables})
    original = DynamoDBBackend.transact_write_items

    @functools.wraps(original)
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        named = _named_items(self, transact_items)
        streamed = _stream_lengths(named)
        try:
            original(self, transact_items)
        except Exception:
            _put_back(named)
            for shard, length in streamed.values():
                del shard.items[length:]
            raise

    DynamoDBBackend.transact_write_items = transact_write_items
    setattr(DynamoDBBackend, _INSTALLED_FLAG, True)


def _copy_stream_shard(self: StreamShard, memo: dict) -> StreamShard:
    copied = StreamShard.__new__(StreamShard)
    copied.__dict__.update(self.__dict__)
    copied.items = list(self.items)
    copied.table = copy.deepcopy(self.table, memo)
    return copied


def install_stream_copies() -> None:
    """Copy tables' streams by reference to their records in this process (idempotent)."""
    moto_version.check()
    StreamShard.__deepcopy__ = _copy_stream_shard
