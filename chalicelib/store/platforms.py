"""Platform tenants and their API keys (only a key's SHA-256 is stored)."""
from __future__ import annotations

from typing import Iterator

from chalicelib.domain.models import Platform
from chalicelib.store import keys
from chalicelib.store.codec import data, to_item
from chalicelib.store.table import Table


class PlatformStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def put(self, platform: Platform) -> None:
        self._table.put({**keys.platform(platform.id), **platform.model_dump()})

    def create(self, platform: Platform) -> bool:
        """Put a new platform; False when one with its id exists."""
        return self._table.put({**keys.platform(platform.id), **platform.model_dump()},
                               ConditionExpression="attribute_not_exists(PK)")

    def get(self, platform_id: str) -> Platform | None:
        found = self._table.get(keys.platform(platform_id))
        return Platform(id=found["id"], name=found["name"], policy=found["policy"]) if found else None

    def all(self) -> Iterator[Platform]:
        """Every platform tenant (the items of one partition)."""
        for item in self._table.query_all(KeyConditionExpression="PK = :pk",
                                          ExpressionAttributeValues=to_item({":pk": keys.PLATFORMS})):
            yield Platform.model_validate(data(item))

    def put_api_key(self, key_hash: str, platform: Platform) -> None:
        self._table.put({**keys.api_key(key_hash), "platform_id": platform.id, "name": platform.name,
                         "policy": platform.policy.value})

    def delete_api_key(self, key_hash: str) -> None:
        self._table.delete(keys.api_key(key_hash))

    def for_key(self, key_hash: str) -> Platform | None:
        found = self._table.get(keys.api_key(key_hash), consistent=False)
        if not found:
            return None
        return Platform(id=found["platform_id"], name=found["name"], policy=found["policy"])
