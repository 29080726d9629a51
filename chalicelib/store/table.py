"""The single table behind the few calls every store makes: one client, one name, one codec.

Stores are composed over one `Table` (see chalicelib/store/__init__.py); none of them talks to
boto3 in any other way. Failed conditions come back as booleans or `TransactionCancelled`, so each
store turns them into its own domain error (chalicelib/store/errors.py).
"""
from __future__ import annotations

import itertools
import time
from typing import Any, Callable, Iterator

from botocore.exceptions import ClientError

from chalicelib.backoff import BATCH_READ
from chalicelib.store.codec import data, identity, to_item
from chalicelib.store.schema import TABLE_KEYS

CONDITION_FAILED = "ConditionalCheckFailed"


class TransactionCancelled(Exception):
    """A TransactWriteItems refused; `codes[i]` says why for the i-th write ("None" where it was fine)."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__(", ".join(codes))
        self.codes = codes

    def failed_at(self, position: int) -> bool:
        return position < len(self.codes) and self.codes[position] == CONDITION_FAILED


def condition_failed(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ConditionalCheckFailedException"


def new_put(values: dict, condition: str = "attribute_not_exists(PK)", **expression: Any) -> dict:
    """A transaction entry that creates an item (by default only if no item has its key)."""
    return {"Put": {"Item": to_item(values), "ConditionExpression": condition, **expression}}


class Table:
    def __init__(self, client: Any, name: str, pause: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.name = name
        self._pause = pause

    def describe(self) -> None:
        self.client.describe_table(TableName=self.name)

    def get(self, key: dict, consistent: bool = True) -> dict | None:
        """The item's data (no key attributes), or None."""
        found = self.client.get_item(TableName=self.name, Key=to_item(key), ConsistentRead=consistent).get("Item")
        return data(found) if found else None

    def put(self, values: dict, **params: Any) -> bool:
        """Put an item; False when its condition failed."""
        try:
            self.client.put_item(TableName=self.name, Item=to_item(values), **params)
        except ClientError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def update(self, key: dict, **params: Any) -> dict | None:
        """Update an item; its returned attributes (as data) or {}, or None when the condition failed."""
        try:
            answer = self.client.update_item(TableName=self.name, Key=to_item(key), **params)
        except ClientError as error:
            if condition_failed(error):
                return None
            raise
        return data(answer.get("Attributes", {}))

    def delete(self, key: dict) -> None:
        self.client.delete_item(TableName=self.name, Key=to_item(key))

    def query(self, **params: Any) -> dict:
        return self.client.query(TableName=self.name, **params)

    def query_all(self, **params: Any) -> Iterator[dict]:
        """Every raw item a query selects, page after page."""
        while True:
            page = self.query(**params)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def transact(self, entries: list[dict]) -> None:
        """One TransactWriteItems of `entries` (each gets this table's name); TransactionCancelled on refusal."""
        items = [{kind: {"TableName": self.name, **spec} for kind, spec in entry.items()} for entry in entries]
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            raise TransactionCancelled([reason.get("Code", "None")
                                        for reason in error.response.get("CancellationReasons", [])]) from error

    def fetch(self, item_keys: list[dict], consistent: bool = False) -> list[dict]:
        """The raw items at `item_keys` (e.g. entries of a keys-only index), in that order; an item
        deleted since is left out. BatchGetItem takes 100 keys and may hand some back unread (under
        throttling); those are asked for again after a growing pause."""
        wanted = [{name: key[name] for name in TABLE_KEYS} for key in item_keys]
        found: dict[tuple, dict] = {}
        for start in range(0, len(wanted), 100):
            request = {self.name: {"Keys": wanted[start:start + 100],
                                   **({"ConsistentRead": True} if consistent else {})}}
            for attempt in itertools.count():
                if not request:
                    break
                if attempt:
                    self._pause(BATCH_READ.seconds(attempt))
                answer = self.client.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self.name, []):
                    found[identity(item)] = item
                request = answer.get("UnprocessedKeys") or {}
        return [found[identity(key)] for key in wanted if identity(key) in found]
