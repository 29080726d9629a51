"""Each platform's webhook endpoint: URL, enabled flag and signing secrets, replaced under a version."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.clock import to_iso
from chalicelib.store import keys
from chalicelib.store.codec import data, to_item
from chalicelib.store.table import Table


class WebhookEndpointStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, platform_id: str) -> dict | None:
        return self._table.get(keys.webhook_endpoint(platform_id))

    def many(self, platform_ids: list[str]) -> dict[str, dict]:
        """The endpoints of these platforms (one BatchGetItem per 100), by platform id."""
        found = self._table.fetch([to_item(keys.webhook_endpoint(platform_id)) for platform_id in platform_ids])
        by_partition = {item["PK"]["S"]: data(item) for item in found}
        return {platform_id: by_partition[keys.webhook_endpoint(platform_id)["PK"]] for platform_id in platform_ids
                if keys.webhook_endpoint(platform_id)["PK"] in by_partition}

    def put(self, platform_id: str, endpoint: dict, expected_version: int | None) -> bool:
        """Replace the endpoint if it is still at `expected_version` (None: none exists yet)."""
        params: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(PK)"}
        if expected_version is not None:
            params = {"ConditionExpression": "version = :expected",
                      "ExpressionAttributeValues": to_item({":expected": expected_version})}
        return self._table.put({**keys.webhook_endpoint(platform_id), **endpoint,
                                "version": (expected_version or 0) + 1}, **params)

    def disable(self, platform_id: str, url: str, reason: str, now: datetime) -> None:
        """Disable the endpoint, unless the platform has registered another URL meanwhile."""
        self._table.update(keys.webhook_endpoint(platform_id),
                           UpdateExpression="SET enabled = :false, disabled_reason = :reason, disabled_at = :now",
                           ConditionExpression="#url = :url", ExpressionAttributeNames={"#url": "url"},
                           ExpressionAttributeValues=to_item({":false": False, ":reason": reason,
                                                              ":now": to_iso(now), ":url": url}))
