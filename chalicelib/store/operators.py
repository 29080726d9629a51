"""Operators' API keys (only a key's SHA-256 is stored): the on-call view of every platform."""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.store import keys
from chalicelib.store.table import Table


@dataclass(frozen=True)
class Operator:
    name: str


class OperatorStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put_key(self, key_hash: str, operator: Operator, created_at: str) -> bool:
        """Store a new key; False (and nothing changed) when the key is stored already."""
        return self._table.put({**keys.operator_key(key_hash), "name": operator.name, "created_at": created_at},
                               ConditionExpression="attribute_not_exists(PK)")

    def delete_key(self, key_hash: str) -> None:
        self._table.delete(keys.operator_key(key_hash))

    def for_key(self, key_hash: str) -> Operator | None:
        found = self._table.get(keys.operator_key(key_hash), consistent=False)
        return Operator(name=found["name"]) if found else None
