"""Merchant settings: one item per (platform, merchant), read strongly consistent and replaced
whole under a version check. The only reader and writer of settings (create, dry run, the API)."""
from __future__ import annotations

from botocore.exceptions import ClientError

from chalicelib.domain.models import MerchantSettings
from chalicelib.store import keys
from chalicelib.store.codec import data, to_item
from chalicelib.store.refusals import VersionConflict
from chalicelib.store.table import Table, condition_failed


class MerchantStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, platform_id: str, merchant_id: str) -> MerchantSettings | None:
        found = self._table.get(keys.merchant(platform_id, merchant_id))
        return MerchantSettings.model_validate(found) if found else None

    def save(self, platform_id: str, settings: MerchantSettings, expected_version: int) -> None:
        """Write `settings` (carrying version expected_version + 1) if the stored version is still
        `expected_version`; 0 means the merchant must not exist yet. Raises VersionConflict, naming
        the stored version (from the item the failed condition returns: no second read)."""
        if expected_version == 0:
            condition: dict = {"ConditionExpression": "attribute_not_exists(PK)"}
        else:
            condition = {"ConditionExpression": "#version = :expected",
                         "ExpressionAttributeNames": {"#version": "version"},
                         "ExpressionAttributeValues": to_item({":expected": expected_version})}
        item = {**keys.merchant(platform_id, settings.merchant_id), **settings.model_dump(mode="json")}
        try:
            self._table.client.put_item(TableName=self._table.name, Item=to_item(item),
                                        ReturnValuesOnConditionCheckFailure="ALL_OLD", **condition)
        except ClientError as error:
            if not condition_failed(error):
                raise
            old = error.response.get("Item")
            current = data(old) if old else None
            if current is None:
                stored = self.get(platform_id, settings.merchant_id)
                current = {"version": stored.version} if stored else None
            raise VersionConflict(int(current["version"]) if current else 0) from None
