"""Merchant settings: one item per (platform, merchant), replaced whole under a version check."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.models import MerchantSettings
from chalicelib.store import keys
from chalicelib.store.dynamodb import _data, _item


class VersionConflict(Exception):
    def __init__(self, current_version: int) -> None:
        super().__init__(f"current version is {current_version}")
        self.current_version = current_version


class MerchantStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def get(self, platform_id: str, merchant_id: str) -> MerchantSettings | None:
        found = self._db.get_item(TableName=self._table, Key=_item(keys.merchant(platform_id, merchant_id)),
                                  ConsistentRead=True).get("Item")
        return MerchantSettings.model_validate(_data(found)) if found else None

    def save(self, platform_id: str, settings: MerchantSettings, expected_version: int) -> None:
        """Write `settings` (carrying version expected_version + 1) if the stored version is still
        `expected_version`; 0 means the merchant must not exist yet. Raises VersionConflict."""
        if expected_version == 0:
            condition: dict = {"ConditionExpression": "attribute_not_exists(PK)"}
        else:
            condition = {"ConditionExpression": "#version = :expected",
                         "ExpressionAttributeNames": {"#version": "version"},
                         "ExpressionAttributeValues": _item({":expected": expected_version})}
        item = {**keys.merchant(platform_id, settings.merchant_id), **settings.model_dump(mode="json")}
        try:
            self._db.put_item(TableName=self._table, Item=_item(item), ReturnValuesOnConditionCheckFailure="ALL_OLD",
                              **condition)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old = error.response.get("Item")
            current = _data(old) if old else None
            if current is None:
                stored = self.get(platform_id, settings.merchant_id)
                current = {"version": stored.version} if stored else None
            raise VersionConflict(int(current["version"]) if current else 0) from None
