"""Webhook deliveries: one item per event sent to a platform, with its attempts.

The relay (chalicelib/webhooks/relay.py) queues each delivery a committed change owes; the notify
worker creates its item on the first attempt (`start`, conditional, so a delivery relayed twice is
sent once), leases it for each attempt and records every attempt. A delivery whose next attempt is
further off than an SQS delay can hold waits listed in the overloaded `open_work` index
(`OUTBOX#` partitions), where the outbox sweep finds it when it is due.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import to_iso
from chalicelib.store import keys
from chalicelib.store.codec import data, from_item, pack, to_item, unpack
from chalicelib.store.sharded_reads import ShardedIndex
from chalicelib.store.table import Table

#: A delivery waiting in the outbox index is queued again this long after it is due at the latest.
OUTBOX_GRACE = timedelta(seconds=60)
#: The longest an SQS delay holds a message; longer waits are listed for the outbox sweep.
MAX_QUEUE_DELAY = timedelta(seconds=900)


class DeliveryStatus:
    pending = "pending"
    delivered = "delivered"
    exhausted = "exhausted"          # every retry failed; the message went to the notify DLQ
    endpoint_gone = "endpoint_gone"  # the endpoint answered 410 and was disabled
    no_endpoint = "no_endpoint"      # the platform has no enabled endpoint


def _delivery(record: dict) -> dict:
    """A delivery record as read, with its body unpacked."""
    if "body" in record:
        record["body"] = unpack(record["body"])
    return record


class DeliveryStore:
    def __init__(self, table: Table, shards: keys.Shards = keys.Shards()) -> None:
        self._table = table
        self._shards = shards

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
        """Pending deliveries whose long wait (beyond an SQS delay) is over, as
        `{"intercept_id", "id"}`: all the queue message needs, and all the keys-only index holds."""
        index = ShardedIndex(self._table, "open_work", "GSI3PK", "GSI3SK",
                             [keys.outbox(n) for n in range(self._shards.busy)],
                             " AND GSI3SK <= :now", {":now": to_iso(now) + keys.AFTER}, newest_first=False)
        entries, _ = index.take(index.start(None), limit, max(1, -(-limit // self._shards.busy)))
        return [keys.delivery_of(from_item(item)) for item in entries]

    def retrying(self, limit: int) -> list[dict]:
        """Pending deliveries waiting out a retry longer than a queue delay holds (the outbox index
        lists exactly those), at most `limit`, soonest due first; without their bodies."""
        index = ShardedIndex(self._table, "open_work", "GSI3PK", "GSI3SK",
                             [keys.outbox(n) for n in range(self._shards.busy)], newest_first=False)
        entries, _ = index.take(index.start(None), limit, max(1, -(-limit // self._shards.busy)))
        return [{name: value for name, value in data(item).items() if name != "body"}
                for item in self._table.fetch(entries)]

    def start(self, delivery: dict, now: datetime, lease_seconds: int) -> dict | None:
        """Create a relayed delivery's item, leased for its first attempt; None when it exists (a
        delivery relayed twice, or queued again: `claim` it then)."""
        item = {**keys.delivery(delivery["intercept_id"], delivery["id"]), "id": delivery["id"],
                "intercept_id": delivery["intercept_id"], "platform_id": delivery["platform_id"],
                "type": delivery["type"], "body": pack(delivery["body"]), "status": DeliveryStatus.pending,
                "attempts": 0, "created_at": delivery["created_at"], "next_attempt_at": to_iso(now),
                "lease_until": to_iso(now + timedelta(seconds=lease_seconds))}
        if not self._table.put(item, ConditionExpression="attribute_not_exists(PK)"):
            return None
        return _delivery(data(to_item(item)))

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

    def reopen(self, intercept_id: str, message_id: str, now: datetime) -> bool:
        """An exhausted delivery pending again, due now, with its retry window and backoff counted
        from now (`retry_from`, `retry_from_attempts`); False when it is not exhausted."""
        return self._table.update(
            keys.delivery(intercept_id, message_id),
            UpdateExpression="SET #status = :pending, next_attempt_at = :now, retry_from = :now, "
                             "retry_from_attempts = attempts REMOVE finished_at",
            ConditionExpression="#status = :exhausted", ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_item({":pending": DeliveryStatus.pending, ":exhausted": DeliveryStatus.exhausted,
                                               ":now": to_iso(now)})) is not None

    def record_attempt(self, delivery: dict, *, status: str, attempt: dict, next_attempt_at: datetime | None,
                       now: datetime) -> bool:
        """Record one attempt under the lease taken by `claim`; False if the lease was lost."""
        values: dict[str, Any] = {":status": status, ":attempt": [attempt], ":lease": delivery["lease_until"],
                                  ":one": 1, ":empty": []}
        assignments = ["#status = :status", "attempts = attempts + :one",
                       "attempt_log = list_append(if_not_exists(attempt_log, :empty), :attempt)"]
        removals = ["lease_until"]
        if status == DeliveryStatus.pending and next_attempt_at is not None:
            values[":next"] = to_iso(next_attempt_at)
            assignments.append("next_attempt_at = :next")
            if next_attempt_at - now > MAX_QUEUE_DELAY:  # beyond what a queue delay holds: the sweep's
                outbox = keys.outbox_entry(delivery["id"], to_iso(next_attempt_at + OUTBOX_GRACE), self._shards)
                values.update({":outbox_pk": outbox["GSI3PK"], ":outbox_sk": outbox["GSI3SK"]})
                assignments += ["GSI3PK = :outbox_pk", "GSI3SK = :outbox_sk"]
        else:
            values[":finished"] = to_iso(now)
            assignments.append("finished_at = :finished")
            removals += list(keys.OPEN_WORK_ATTRIBUTES)
        return self._table.update(
            keys.delivery(delivery["intercept_id"], delivery["id"]),
            UpdateExpression="SET " + ", ".join(assignments) + " REMOVE " + ", ".join(removals),
            ConditionExpression="lease_until = :lease",
            ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=to_item(values)) is not None
