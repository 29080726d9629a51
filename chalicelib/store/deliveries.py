"""Webhook deliveries: one item per event sent to a platform, with its attempts (the outbox).

A delivery is created inside the transaction of the change it tells about (`outbox_entries`), so
no change is written without its webhooks; the notify worker leases it, attempts it and records
each attempt here. Undelivered ones stay listed in the overloaded `open_work` index (`OUTBOX#`
partitions) until they finish, so the outbox sweep finds lost enqueues and long-delayed retries.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import new_id, to_iso
from chalicelib.store import keys
from chalicelib.store.codec import data, from_item, pack, to_item, unpack
from chalicelib.store.table import Table, new_put

#: A delivery not finished this long after it was due is sent again by the outbox sweep.
OUTBOX_GRACE = timedelta(seconds=60)


class DeliveryStatus:
    pending = "pending"
    delivered = "delivered"
    exhausted = "exhausted"          # every retry failed; the message went to the notify DLQ
    endpoint_gone = "endpoint_gone"  # the endpoint answered 410 and was disabled
    no_endpoint = "no_endpoint"      # the platform has no enabled endpoint


_last_message_id = [""]
_message_id_lock = threading.Lock()


def _message_id() -> str:
    """A time-sortable message id, strictly increasing within this process, so an intercept's
    delivery log (sorted by id) keeps the order of its changes even within one millisecond."""
    with _message_id_lock:
        candidate = new_id("msg")
        if candidate <= _last_message_id[0]:
            prefix, _, body = _last_message_id[0].partition("_")
            candidate = f"{prefix}_{_increment(body)}"
        _last_message_id[0] = candidate
        return candidate


def _increment(crockford: str) -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    digits = list(crockford)
    for position in range(len(digits) - 1, -1, -1):
        value = alphabet.index(digits[position]) + 1
        if value < len(alphabet):
            digits[position] = alphabet[value]
            return "".join(digits)
        digits[position] = alphabet[0]
    raise OverflowError("message id space exhausted")


def outbox_entries(platform_id: str, intercept_id: str, webhooks: list[tuple[str, str]],
                   now: datetime) -> tuple[list[dict], list[dict]]:
    """Transaction entries creating one pending delivery per (event type, body), and the deliveries'
    references (`{"intercept_id", "id"}`) to queue once the transaction has committed."""
    at = to_iso(now)
    entries, references = [], []
    for event_type, body in webhooks:
        message_id = _message_id()
        entries.append(new_put({
            **keys.delivery(intercept_id, message_id), "id": message_id, "intercept_id": intercept_id,
            "platform_id": platform_id, "type": event_type, "body": pack(body), "status": DeliveryStatus.pending,
            "attempts": 0, "created_at": at, "next_attempt_at": at,
            **keys.outbox_entry(message_id, to_iso(now + OUTBOX_GRACE)),
        }))
        references.append({"intercept_id": intercept_id, "id": message_id})
    return entries, references


def _delivery(record: dict) -> dict:
    """A delivery record as read, with its body unpacked."""
    if "body" in record:
        record["body"] = unpack(record["body"])
    return record


class DeliveryStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, intercept_id: str, message_id: str) -> dict | None:
        found = self._table.get(keys.delivery(intercept_id, message_id))
        return _delivery(found) if found else None

    def of_intercept(self, intercept_id: str) -> list[dict]:
        """Every delivery about one intercept, oldest first."""
        items = self._table.query_all(KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                                      ExpressionAttributeValues=to_item({
                                          ":pk": keys.intercept(intercept_id)["PK"], ":prefix": keys.DELIVERY_PREFIX}),
                                      ConsistentRead=True)
        return [data(item) for item in items]

    def due(self, now: datetime, limit: int) -> list[dict]:
        """Pending deliveries whose grace period passed (lost enqueues, retries due now), as
        `{"intercept_id", "id"}`: all the queue message needs, and all the keys-only index holds."""
        found: list[dict] = []
        per_shard = max(1, -(-limit // keys.DUE_SHARDS))
        for shard in range(keys.DUE_SHARDS):
            page = self._table.query(
                IndexName="open_work", KeyConditionExpression="GSI3PK = :pk AND GSI3SK <= :now",
                ExpressionAttributeValues=to_item({":pk": keys.outbox(shard), ":now": to_iso(now) + keys.AFTER}),
                Limit=per_shard)
            found += [keys.delivery_of(from_item(item)) for item in page.get("Items", [])]
        return found[:limit]

    def claim(self, intercept_id: str, message_id: str, now: datetime, lease_seconds: int) -> dict | None:
        """Take the right to attempt a pending, due delivery; None when it is not ours to attempt."""
        found = self._table.update(
            keys.delivery(intercept_id, message_id),
            UpdateExpression="SET lease_until = :lease",
            ConditionExpression="#status = :pending AND next_attempt_at <= :now "
                                "AND (attribute_not_exists(lease_until) OR lease_until < :now)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_item({":lease": to_iso(now + timedelta(seconds=lease_seconds)),
                                               ":now": to_iso(now), ":pending": DeliveryStatus.pending}),
            ReturnValues="ALL_NEW")
        return _delivery(found) if found is not None else None

    def record_attempt(self, delivery: dict, *, status: str, attempt: dict, next_attempt_at: datetime | None,
                       now: datetime) -> bool:
        """Record one attempt under the lease taken by `claim`; False if the lease was lost."""
        values: dict[str, Any] = {":status": status, ":attempt": [attempt], ":lease": delivery["lease_until"],
                                  ":one": 1, ":empty": []}
        assignments = ["#status = :status", "attempts = attempts + :one",
                       "attempt_log = list_append(if_not_exists(attempt_log, :empty), :attempt)"]
        removals = ["lease_until"]
        if status == DeliveryStatus.pending and next_attempt_at is not None:
            outbox = keys.outbox_entry(delivery["id"], to_iso(next_attempt_at + OUTBOX_GRACE))
            values.update({":next": to_iso(next_attempt_at), ":outbox_pk": outbox["GSI3PK"],
                           ":outbox_sk": outbox["GSI3SK"]})
            assignments += ["next_attempt_at = :next", "GSI3PK = :outbox_pk", "GSI3SK = :outbox_sk"]
        else:
            values[":finished"] = to_iso(now)
            assignments.append("finished_at = :finished")
            removals += list(keys.OPEN_WORK_ATTRIBUTES)
        return self._table.update(
            keys.delivery(delivery["intercept_id"], delivery["id"]),
            UpdateExpression="SET " + ", ".join(assignments) + " REMOVE " + ", ".join(removals),
            ConditionExpression="lease_until = :lease",
            ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=to_item(values)) is not None
