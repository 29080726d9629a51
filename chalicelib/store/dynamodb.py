"""DynamoDB persistence for platforms, merchants, intercepts, idempotency and callback receipts.

Every state change is a conditional write; a status change and its history entry are one
transaction. Reads are single GetItem/Query calls; nothing here scans the table.
"""
from __future__ import annotations

import base64
import binascii
import itertools
import json
import time
import zlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterable, Iterator

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.clock import new_id, to_iso
from chalicelib.domain.lifecycle import OPEN
from chalicelib.domain.models import (
    Claim,
    Event,
    EventSource,
    Intercept,
    InterceptStatus,
    MerchantSettings,
    Platform,
    RefundStatus,
)
from chalicelib.store import keys
from chalicelib.store.aftersale import AfterSaleStore
from chalicelib.store.schema import INDEXES, TABLE_KEYS

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_KEY_ATTRIBUTES = frozenset(TABLE_KEYS) | {name for pair in INDEXES.values() for name in pair}


def _item(values: dict) -> dict:
    return {name: _serializer.serialize(value) for name, value in values.items() if value is not None}


def _plain(item: dict) -> dict:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def _data(item: dict) -> dict:
    """An item without its key attributes, with DynamoDB's Decimals back as ints (fen, counts)."""
    return {name: _numbers(value) for name, value in _plain(item).items() if name not in _KEY_ATTRIBUTES}


def _packed(text: str) -> bytes:
    """Long JSON as stored (a replayed response, a webhook body): zlib-compressed to about half,
    which keeps those records under the 1 KB one write unit covers."""
    return zlib.compress(text.encode("utf-8"), 9)


def _unpacked(value: Any) -> str:
    """`_packed` backwards; text stored before packing is returned as it is."""
    if isinstance(value, str):
        return value
    return zlib.decompress(value.value if isinstance(value, Binary) else bytes(value)).decode("utf-8")


def _numbers(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _numbers(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_numbers(inner) for inner in value]
    return value


class StaleState(Exception):
    """The record is no longer in the state the write expected."""


class DuplicateCallback(Exception):
    """This carrier push was already applied."""


class IdempotencyKeyUsed(Exception):
    def __init__(self, record: dict) -> None:
        super().__init__("idempotency key already used")
        self.record = record


class ParcelAlreadyIntercepted(Exception):
    def __init__(self, intercept_id: str) -> None:
        super().__init__(intercept_id)
        self.intercept_id = intercept_id


class InvalidCursor(Exception):
    pass


@dataclass(frozen=True)
class ListQuery:
    platform_id: str
    merchant_id: str | None = None
    status: InterceptStatus | None = None
    carrier: str | None = None
    created_from: str | None = None
    created_to: str | None = None
    limit: int = 50
    cursor: str | None = None


def _cancel_codes(error: ClientError) -> list[str]:
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


class Store(AfterSaleStore):
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def ping(self) -> None:
        self._db.describe_table(TableName=self._table)

    # -- platforms, keys, merchants ---------------------------------------------------------

    def put_platform(self, platform: Platform) -> None:
        self._db.put_item(TableName=self._table, Item=_item({
            **keys.platform(platform.id), "GSI1PK": keys.PLATFORMS, "GSI1SK": platform.id, **platform.model_dump()}))

    def platforms(self) -> Iterator[Platform]:
        """Every platform tenant (listed under one partition of the by_platform index)."""
        for item in self._query_all(IndexName="by_platform", KeyConditionExpression="GSI1PK = :pk",
                                    ExpressionAttributeValues=_item({":pk": keys.PLATFORMS})):
            yield Platform.model_validate(_data(item))

    def merchant_intercepts(self, platform_id: str, merchant_id: str, start: str, end: str) -> Iterator[Intercept]:
        """One merchant's intercepts created in [start, end] (ISO UTC), page by page."""
        for item in self._query_all(IndexName="by_merchant",
                                    KeyConditionExpression="GSI2PK = :pk AND GSI2SK BETWEEN :start AND :end",
                                    ExpressionAttributeValues=_item({":pk": keys.by_merchant(platform_id, merchant_id),
                                                                     ":start": start, ":end": end + "~"})):
            yield Intercept.model_validate(_data(item))

    def charged_intercepts(self, platform_id: str, start: str, end: str) -> Iterator[Intercept]:
        """A platform's intercepts charged in [start, end) (ISO UTC), page by page."""
        for item in self._query_all(IndexName="charged",
                                    KeyConditionExpression="GSI5PK = :pk AND GSI5SK BETWEEN :start AND :end",
                                    ExpressionAttributeValues=_item({":pk": keys.charged(platform_id),
                                                                     ":start": start, ":end": end})):
            yield Intercept.model_validate(_data(item))

    def put_api_key(self, key_hash: str, platform: Platform) -> None:
        self._db.put_item(TableName=self._table, Item=_item({
            **keys.api_key(key_hash), "platform_id": platform.id, "name": platform.name, "policy": platform.policy.value,
        }))

    def platform_for_key(self, key_hash: str) -> Platform | None:
        found = self._db.get_item(TableName=self._table, Key=_item(keys.api_key(key_hash))).get("Item")
        if not found:
            return None
        data = _data(found)
        return Platform(id=data["platform_id"], name=data["name"], policy=data["policy"])

    def put_merchant(self, platform_id: str, settings: MerchantSettings) -> None:
        self._db.put_item(TableName=self._table,
                          Item=_item({**keys.merchant(platform_id, settings.merchant_id), **settings.model_dump(mode="json")}))

    def get_merchant(self, platform_id: str, merchant_id: str) -> MerchantSettings | None:
        found = self._db.get_item(TableName=self._table, Key=_item(keys.merchant(platform_id, merchant_id))).get("Item")
        return MerchantSettings.model_validate(_data(found)) if found else None

    # -- intercepts ---------------------------------------------------------------------------

    def create_intercept(self, intercept: Intercept, idempotency_key: str, body_hash: str, response: dict,
                         now: datetime, idempotency_ttl_seconds: int = 86_400) -> None:
        """Write the record, its first event, the parcel claim and the idempotency record at once.

        Raises IdempotencyKeyUsed (with the stored record) or ParcelAlreadyIntercepted.
        """
        now_epoch = int(now.timestamp())
        event = intercept.events[0]
        items = [
            {"Put": {"TableName": self._table, "Item": self._intercept_item(intercept),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Put": {"TableName": self._table, "Item": self._event_item(intercept.id, event),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Put": {"TableName": self._table,
                     "Item": _item({**keys.parcel(intercept.platform_id, intercept.carrier, intercept.tracking_no),
                                    "intercept_id": intercept.id}),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Put": {"TableName": self._table,
                     "Item": _item({**keys.idempotency(intercept.platform_id, idempotency_key),
                                    "body_hash": body_hash, "response": _packed(json.dumps(response)),
                                    "intercept_id": intercept.id, "expires_at": now_epoch + idempotency_ttl_seconds}),
                     "ConditionExpression": "attribute_not_exists(PK) OR expires_at < :now",
                     "ExpressionAttributeValues": _item({":now": now_epoch})}},
        ]
        outbox = self._intercept_outbox(None, intercept, now)
        items += outbox
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = _cancel_codes(error)
            if len(codes) >= 4 and codes[3] == "ConditionalCheckFailed":
                record = self.get_idempotency(intercept.platform_id, idempotency_key)
                if record:
                    raise IdempotencyKeyUsed(record) from error
            if len(codes) >= 4 and codes[2] == "ConditionalCheckFailed":
                claim = self._db.get_item(TableName=self._table, Key=_item(
                    keys.parcel(intercept.platform_id, intercept.carrier, intercept.tracking_no))).get("Item")
                if claim:
                    raise ParcelAlreadyIntercepted(_data(claim)["intercept_id"]) from error
            raise
        self._publish(outbox)

    def get_idempotency(self, platform_id: str, key: str) -> dict | None:
        found = self._db.get_item(TableName=self._table, Key=_item(keys.idempotency(platform_id, key))).get("Item")
        if not found:
            return None
        record = _data(found)
        return {**record, "response": _unpacked(record["response"])}

    def get_intercept(self, intercept_id: str, with_events: bool = False) -> Intercept | None:
        if not with_events:
            found = self._db.get_item(TableName=self._table, Key=_item(keys.intercept(intercept_id)),
                                      ConsistentRead=True).get("Item")
            return Intercept.model_validate(_data(found)) if found else None
        pk = keys.intercept(intercept_id)["PK"]
        # META, its EVENT# history and CLAIM#s; webhook deliveries (WEBHOOK#) sort after META
        items = list(self._query_all(KeyConditionExpression="PK = :pk AND SK <= :meta",
                                     ExpressionAttributeValues=_item({":pk": pk, ":meta": "META"}),
                                     ConsistentRead=True))
        meta = next((item for item in items if item["SK"]["S"] == "META"), None)
        if meta is None:
            return None
        record = Intercept.model_validate(_data(meta))
        record.events = [Event.model_validate(_data(item)) for item in items if item["SK"]["S"].startswith("EVENT#")]
        record.claims = [Claim.model_validate(_data(item)) for item in items if item["SK"]["S"].startswith("CLAIM#")]
        return record

    def list_intercepts(self, query: ListQuery) -> tuple[list[Intercept], str | None]:
        if query.merchant_id:
            index, pk_name, sk_name = "by_merchant", "GSI2PK", "GSI2SK"
            partition = keys.by_merchant(query.platform_id, query.merchant_id)
        else:
            index, pk_name, sk_name = "by_platform", "GSI1PK", "GSI1SK"
            partition = keys.by_platform(query.platform_id)
        condition = f"{pk_name} = :pk"
        values: dict[str, Any] = {":pk": partition}
        if query.created_from and query.created_to:
            condition += f" AND {sk_name} BETWEEN :from AND :to"
            values.update({":from": query.created_from, ":to": query.created_to + "~"})
        elif query.created_from:
            condition += f" AND {sk_name} >= :from"
            values[":from"] = query.created_from
        elif query.created_to:
            condition += f" AND {sk_name} <= :to"
            values[":to"] = query.created_to + "~"
        filters, names = [], {}
        if query.status:
            filters.append("#status = :status")
            names["#status"] = "status"
            values[":status"] = query.status.value
        if query.carrier:
            filters.append("carrier = :carrier")
            values[":carrier"] = query.carrier
        params: dict[str, Any] = {
            "TableName": self._table, "IndexName": index, "KeyConditionExpression": condition,
            "ExpressionAttributeValues": _item(values), "Limit": query.limit, "ScanIndexForward": False,
        }
        if filters:
            params["FilterExpression"] = " AND ".join(filters)
        if names:
            params["ExpressionAttributeNames"] = names
        if query.cursor:
            params["ExclusiveStartKey"] = _decode_cursor(query.cursor, pk_name, partition)
        page = self._db.query(**params)
        records = [Intercept.model_validate(_data(item)) for item in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        return records, _encode_cursor(last) if last else None

    def open_intercepts(self, status: InterceptStatus, changed_before: datetime, limit: int) -> list[Intercept]:
        """Intercepts in an open status whose last change is older than `changed_before` (sparse index)."""
        page = self._db.query(
            TableName=self._table, IndexName="open_work",
            KeyConditionExpression="GSI3PK = :pk AND GSI3SK < :before",
            ExpressionAttributeValues=_item({":pk": keys.open_work(status.value), ":before": to_iso(changed_before)}),
            Limit=limit,
        )
        return [Intercept.model_validate(_data(item)) for item in self._fetch(page.get("Items", []))]

    def transition(self, record: Intercept, to_status: InterceptStatus, *, source: EventSource, reason: str,
                   now: datetime, changes: dict | None = None, receipt: dict | None = None) -> Intercept:
        """Move `record` from its current status to `to_status`, appending the history entry.

        The write only succeeds if the stored status is still `record.status` (raises StaleState).
        `receipt` (a callback receipt key) is written in the same transaction to drop duplicates
        (raises DuplicateCallback).
        """
        at = to_iso(now)
        changes = dict(changes or {})
        refund_to = changes.get("refund_status")
        refund_moves = refund_to is not None and refund_to != record.refund_status.value
        event = Event(at=at, source=source, from_status=record.status, to_status=to_status, reason=reason,
                      **({"from_refund_status": record.refund_status, "to_refund_status": refund_to}
                         if refund_moves else {}))
        set_values: dict[str, Any] = {"status": to_status.value, "updated_at": at,
                                      **{name: value for name, value in changes.items() if value is not None}}
        names = {f"#f{i}": name for i, name in enumerate(set_values)}
        assignments = [f"{alias} = :v{i}" for i, alias in enumerate(names)]
        values = {f":v{i}": value for i, value in enumerate(set_values.values())}
        removals = [name for name, value in changes.items() if value is None]
        if to_status in OPEN:
            assignments += ["GSI3PK = :open_pk", "GSI3SK = :open_sk"]
            values.update({":open_pk": keys.open_work(to_status.value), ":open_sk": f"{at}#{record.id}"})
        else:
            removals += ["GSI3PK", "GSI3SK"]
        if changes.get("charged_at"):
            assignments += ["GSI5PK = :charged_pk", "GSI5SK = :charged_sk"]
            values.update({":charged_pk": keys.charged(record.platform_id),
                           ":charged_sk": f"{changes['charged_at']}#{record.id}"})
        names["#expected"] = "status"
        names["#version"] = "version"
        values.update({":expected": record.status.value, ":one": 1})
        condition = "#expected = :expected"
        if refund_moves:
            # The after-sale track moves at most once: a merchant's decision or the deadline sweep
            # may have moved it since `record` was read.
            names["#expected_refund"] = "refund_status"
            values[":expected_refund"] = record.refund_status.value
            condition += " AND #expected_refund = :expected_refund"
            if refund_to != RefundStatus.awaiting_result.value:
                removals += ["GSI4PK", "GSI4SK"]
        expression = "SET " + ", ".join(assignments + ["#version = #version + :one"])
        if removals:
            expression += " REMOVE " + ", ".join(removals)
        updated = Intercept.model_validate({**record.model_dump(exclude={"events", "claims"}), "status": to_status,
                                            "updated_at": at, "version": record.version + 1, **changes})
        outbox = self._intercept_outbox(record, updated, now)
        items = [
            {"Update": {"TableName": self._table, "Key": _item(keys.intercept(record.id)),
                        "UpdateExpression": expression, "ConditionExpression": condition,
                        "ExpressionAttributeNames": names, "ExpressionAttributeValues": _item(values)}},
            {"Put": {"TableName": self._table, "Item": self._event_item(record.id, event),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
        ]
        if receipt is not None:
            items.append({"Put": {"TableName": self._table, "Item": _item(receipt),
                                  "ConditionExpression": "attribute_not_exists(PK)"}})
        items += outbox
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = _cancel_codes(error)
            if receipt is not None and len(codes) >= 3 and codes[2] == "ConditionalCheckFailed":
                raise DuplicateCallback(str(receipt)) from error
            if codes and codes[0] == "ConditionalCheckFailed":
                raise StaleState(f"{record.id} is no longer {record.status.value}") from error
            raise
        self._publish(outbox)
        updated.events = [*record.events, event]
        updated.claims = record.claims
        return updated

    def claim_dispatch(self, intercept_id: str, now: datetime, lease_seconds: int) -> Intercept | None:
        """Take the right to call the carrier for a pending intercept; None if it is not ours to take.

        The lease keeps two copies of one dispatch message from both calling the carrier; it
        expires so a crashed worker's message can take over when it becomes visible again.
        """
        now_iso = to_iso(now)
        lease_until = to_iso(datetime.fromtimestamp(now.timestamp() + lease_seconds, tz=now.tzinfo))
        try:
            found = self._db.update_item(
                TableName=self._table, Key=_item(keys.intercept(intercept_id)),
                UpdateExpression="SET dispatch_lease_until = :lease, dispatch_attempts = if_not_exists("
                                 "dispatch_attempts, :zero) + :one",
                ConditionExpression="#status = :pending AND (attribute_not_exists(dispatch_lease_until) "
                                    "OR dispatch_lease_until < :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=_item({":lease": lease_until, ":now": now_iso, ":pending": "pending",
                                                 ":zero": 0, ":one": 1}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return Intercept.model_validate(_data(found["Attributes"]))

    def release_dispatch(self, intercept_id: str, error: str, uncount: bool = False) -> None:
        """Give the lease back after a transient carrier failure, keeping the error for operators.

        `uncount` takes back the attempt the claim counted, for a claim that did not call the carrier.
        """
        values = {":error": error[:500], ":pending": "pending"}
        update = "SET last_error = :error"
        if uncount:
            update += ", dispatch_attempts = dispatch_attempts - :one"
            values[":one"] = 1
        try:
            self._db.update_item(
                TableName=self._table, Key=_item(keys.intercept(intercept_id)),
                UpdateExpression=update + " REMOVE dispatch_lease_until",
                ConditionExpression="#status = :pending",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=_item(values),
            )
        except ClientError as failure:
            if failure.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def claim_cancel(self, intercept_id: str, now: datetime, lease_seconds: int) -> int | None:
        """Take the right to withdraw a cancelled intercept at the carrier, like `claim_dispatch`.

        Returns the attempt number, or None when the carrier's answer is already recorded or
        another delivery holds the lease. The lease is dropped with the answer or by `release_cancel`.
        """
        lease_until = to_iso(datetime.fromtimestamp(now.timestamp() + lease_seconds, tz=now.tzinfo))
        try:
            found = self._db.update_item(
                TableName=self._table, Key=_item(keys.intercept(intercept_id)),
                UpdateExpression="SET cancel_lease_until = :lease ADD cancel_attempts :one",
                ConditionExpression="#status = :cancelled AND attribute_not_exists(carrier_cancel) AND "
                                    "(attribute_not_exists(cancel_lease_until) OR cancel_lease_until < :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=_item({":lease": lease_until, ":now": to_iso(now), ":one": 1,
                                                 ":cancelled": "cancelled"}),
                ReturnValues="UPDATED_NEW")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return int(found["Attributes"]["cancel_attempts"]["N"])

    def release_cancel(self, intercept_id: str) -> None:
        self._db.update_item(TableName=self._table, Key=_item(keys.intercept(intercept_id)),
                             UpdateExpression="REMOVE cancel_lease_until")

    def set_carrier_cancel(self, intercept_id: str, outcome: str) -> None:
        """Record what the carrier said to withdrawing a cancelled intercept's instruction."""
        try:
            self._db.update_item(
                TableName=self._table, Key=_item(keys.intercept(intercept_id)),
                UpdateExpression="SET carrier_cancel = :outcome REMOVE cancel_lease_until",
                ConditionExpression="#status = :cancelled",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=_item({":outcome": outcome[:300], ":cancelled": "cancelled"}),
            )
        except ClientError as failure:
            if failure.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # -- helpers ------------------------------------------------------------------------------

    def _intercept_item(self, intercept: Intercept) -> dict:
        data = intercept.model_dump(mode="json", exclude={"events", "claims"})
        created = f"{intercept.created_at}#{intercept.id}"
        index_keys = {
            "GSI1PK": keys.by_platform(intercept.platform_id), "GSI1SK": created,
            "GSI2PK": keys.by_merchant(intercept.platform_id, intercept.merchant_id), "GSI2SK": created,
        }
        if intercept.status in OPEN:
            index_keys.update({"GSI3PK": keys.open_work(intercept.status.value),
                               "GSI3SK": f"{intercept.updated_at}#{intercept.id}"})
        if intercept.refund_status == RefundStatus.awaiting_result:
            index_keys.update({"GSI4PK": keys.refund_due(keys.shard_of(intercept.id)),
                               "GSI4SK": f"{intercept.processing_deadline}#{intercept.id}"})
        return _item({**keys.intercept(intercept.id), **index_keys, **data})

    def _event_item(self, intercept_id: str, event: Event) -> dict:
        return _item({**keys.intercept_event(intercept_id, event.at, new_id("evt")),
                      **event.model_dump(mode="json")})

    def _fetch(self, item_keys: list[dict]) -> list[dict]:
        """The items at `item_keys` (index entries from a keys-only index), in that order; an item
        deleted since is left out. BatchGetItem takes 100 keys and may hand some back unread (under
        throttling), which are asked for again after a growing pause, as AWS advises."""
        wanted = [{name: key[name] for name in TABLE_KEYS} for key in item_keys]
        found: dict[tuple, dict] = {}
        for start in range(0, len(wanted), 100):
            request = {self._table: {"Keys": wanted[start:start + 100]}}
            for attempt in itertools.count():
                if not request:
                    break
                if attempt:
                    time.sleep(min(1.0, 0.05 * 2 ** attempt))
                answer = self._db.batch_get_item(RequestItems=request)
                for item in answer.get("Responses", {}).get(self._table, []):
                    found[_identity(item)] = item
                request = answer.get("UnprocessedKeys") or {}
        return [found[_identity(key)] for key in wanted if _identity(key) in found]

    def _query_all(self, **params: Any) -> Iterable[dict]:
        params["TableName"] = self._table
        while True:
            page = self._db.query(**params)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _identity(item: dict) -> tuple:
    return tuple(item[name]["S"] for name in TABLE_KEYS)


def _encode_cursor(last_key: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(_plain(last_key), separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str, partition_attribute: str, partition: str) -> dict:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidCursor("cursor is not one this API issued") from error
    if (not isinstance(decoded, dict) or decoded.get(partition_attribute) != partition
            or not all(isinstance(value, str) for value in decoded.values())):
        raise InvalidCursor("cursor does not belong to this query")
    return _item(decoded)
