"""Storage for the after-sale side: refund transitions and deadlines, the webhook outbox and its
deliveries, webhook endpoints, claims, and the local stage's clock offset.

Mixed into `Store`. Every change is a conditional write; every change a platform must hear about
writes its webhook deliveries (the outbox) in the same transaction, and is handed to the
`outbox_listener` (which queues them) only after the commit. A failed hand-over loses nothing: the
outbox sweep sends deliveries that are still pending after a grace period.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Callable

from botocore.exceptions import ClientError

from chalicelib.clock import new_id, to_iso
from chalicelib.domain.models import Claim, ClaimStatus, Event, EventSource, Intercept, RefundStatus
from chalicelib.store import dynamodb as db
from chalicelib.store import keys
from chalicelib.webhooks.events import claim_event, intercept_events

log = logging.getLogger(__name__)

#: A delivery not finished this long after it was due is sent again by the outbox sweep.
OUTBOX_GRACE = timedelta(seconds=60)

_last_message_id = [""]
_message_id_lock = threading.Lock()


def _delivery(record: dict) -> dict:
    """A delivery record as read, with its body unpacked."""
    if "body" in record:
        record["body"] = db._unpacked(record["body"])
    return record


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


class DeliveryStatus:
    pending = "pending"
    delivered = "delivered"
    exhausted = "exhausted"          # every retry failed; the message went to the notify DLQ
    endpoint_gone = "endpoint_gone"  # the endpoint answered 410 and was disabled
    no_endpoint = "no_endpoint"      # the platform has no enabled endpoint


class AfterSaleStore:
    _db: Any
    _table: str
    #: called with the new delivery records after each committed change (the runtime queues them)
    outbox_listener: Callable[[list[dict]], None] | None = None

    # -- outbox -------------------------------------------------------------------------------

    def _outbox(self, platform_id: str, intercept_id: str, events: list[tuple[str, str]],
                now: datetime) -> list[dict]:

        at = to_iso(now)
        deliveries = []
        for event_type, body in events:
            message_id = _message_id()
            deliveries.append({
                **keys.delivery(intercept_id, message_id), "id": message_id, "intercept_id": intercept_id,
                "platform_id": platform_id, "type": event_type, "body": db._packed(body), "status": DeliveryStatus.pending,
                "attempts": 0, "created_at": at, "next_attempt_at": at,
                "GSI3PK": keys.outbox(keys.shard_of(message_id)),
                "GSI3SK": f"{to_iso(now + OUTBOX_GRACE)}#{message_id}",
            })
        return [{"Put": {"TableName": self._table, "Item": db._item(delivery),
                         "ConditionExpression": "attribute_not_exists(PK)"}} for delivery in deliveries]

    def _intercept_outbox(self, before: Intercept | None, after: Intercept, now: datetime) -> list[dict]:
        return self._outbox(after.platform_id, after.id, intercept_events(before, after, to_iso(now)), now)

    def _publish(self, outbox_items: list[dict]) -> None:

        if not outbox_items or self.outbox_listener is None:
            return
        try:
            self.outbox_listener([db._data(entry["Put"]["Item"]) for entry in outbox_items])
        except Exception:  # noqa: BLE001 - the outbox sweep sends what was not queued
            log.exception("queueing webhook deliveries failed; the outbox sweep will send them")

    # -- refunds ------------------------------------------------------------------------------

    def transition_refund(self, record: Intercept, to_refund: RefundStatus, *, source: EventSource, reason: str,
                          now: datetime, changes: dict | None = None) -> Intercept:
        """Move the after-sale track from `record.refund_status` to `to_refund`, with its history entry.

        Conditioned on the stored refund status and interception status both being what `record`
        says (StaleState otherwise): the decision was taken on that state. Leaving
        `awaiting_result` takes the record out of the refund-due index.
        """

        at = to_iso(now)
        event = Event(at=at, source=source, from_status=record.status, to_status=record.status, reason=reason,
                      from_refund_status=record.refund_status, to_refund_status=to_refund)
        fields = {"refund_status": to_refund.value, "updated_at": at, **(changes or {})}
        updated = Intercept.model_validate({**record.model_dump(exclude={"events", "claims"}), **fields,
                                            "version": record.version + 1})
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values = {f":v{i}": value for i, value in enumerate(fields.values())}
        expression = "SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))) + ", #version = #version + :one"
        if to_refund != RefundStatus.awaiting_result:
            expression += " REMOVE GSI4PK, GSI4SK"
        names.update({"#status": "status", "#refund": "refund_status", "#version": "version"})
        values.update({":status": record.status.value, ":refund": record.refund_status.value, ":one": 1})
        outbox = self._intercept_outbox(record, updated, now)
        items = [
            {"Update": {"TableName": self._table, "Key": db._item(keys.intercept(record.id)),
                        "UpdateExpression": expression,
                        "ConditionExpression": "#status = :status AND #refund = :refund",
                        "ExpressionAttributeNames": names, "ExpressionAttributeValues": db._item(values)}},
            {"Put": {"TableName": self._table, "Item": self._event_item(record.id, event),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            *outbox,
        ]
        try:
            self._db.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException" \
                    and db._cancel_codes(error)[:1] == ["ConditionalCheckFailed"]:
                raise db.StaleState(f"{record.id} changed since it was read") from error
            raise
        self._publish(outbox)
        updated.events = [*record.events, event]
        updated.claims = record.claims
        return updated

    def due_refunds(self, now: datetime, limit: int) -> tuple[list[Intercept], int]:
        """Intercepts whose refund deadline is at or before `now`, at most `limit`, oldest first.

        Queries each shard of the sparse `refund_due` index with a key condition that selects only
        due items, so DynamoDB reads no item it does not return. A first pass takes an equal share
        from every shard; a second pass spends what is left of `limit` on the shards that had more.
        Also returns the sum of DynamoDB's ScannedCount.
        """
        share = max(1, -(-limit // keys.DUE_SHARDS))
        found: list[dict] = []
        scanned = 0
        more: dict[int, dict] = {}
        for shard in range(keys.DUE_SHARDS):
            budget = min(share, limit - len(found))
            if budget <= 0:
                break
            page = self._due_page(shard, now, budget, None)
            scanned += page.get("ScannedCount", 0)
            found += page.get("Items", [])
            if "LastEvaluatedKey" in page:
                more[shard] = page["LastEvaluatedKey"]
        for shard, start in more.items():
            if len(found) >= limit:
                break
            page = self._due_page(shard, now, limit - len(found), start)
            scanned += page.get("ScannedCount", 0)
            found += page.get("Items", [])
        records = sorted((Intercept.model_validate(db._data(item)) for item in self._fetch(found)),
                         key=lambda record: (record.processing_deadline, record.id))
        return records, scanned

    def _due_page(self, shard: int, now: datetime, limit: int, start: dict | None) -> dict:
        params: dict[str, Any] = {
            "TableName": self._table, "IndexName": "refund_due",
            "KeyConditionExpression": "GSI4PK = :pk AND GSI4SK <= :now",
            "ExpressionAttributeValues": db._item({":pk": keys.refund_due(shard), ":now": f"{to_iso(now)}#~"}),
            "Limit": limit,
        }
        if start:
            params["ExclusiveStartKey"] = start
        return self._db.query(**params)

    # -- webhook deliveries -------------------------------------------------------------------

    def get_delivery(self, intercept_id: str, message_id: str) -> dict | None:

        found = self._db.get_item(TableName=self._table, Key=db._item(keys.delivery(intercept_id, message_id)),
                                  ConsistentRead=True).get("Item")
        return _delivery(db._data(found)) if found else None

    def list_deliveries(self, intercept_id: str) -> list[dict]:

        items = self._query_all(KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                                ExpressionAttributeValues=db._item({":pk": keys.intercept(intercept_id)["PK"],
                                                                 ":prefix": "WEBHOOK#"}),
                                ConsistentRead=True)
        return [db._data(item) for item in items]

    def due_deliveries(self, now: datetime, limit: int) -> list[dict]:
        """Pending deliveries whose grace period passed (lost enqueues, retries due now), as
        `{"intercept_id", "id"}`: all the queue message needs, and all the keys-only index holds."""

        found: list[dict] = []
        per_shard = max(1, -(-limit // keys.DUE_SHARDS))
        for shard in range(keys.DUE_SHARDS):
            page = self._db.query(
                TableName=self._table, IndexName="open_work",
                KeyConditionExpression="GSI3PK = :pk AND GSI3SK <= :now",
                ExpressionAttributeValues=db._item({":pk": keys.outbox(shard), ":now": f"{to_iso(now)}#~"}),
                Limit=per_shard,
            )
            found += [keys.delivery_of(db._plain(item)) for item in page.get("Items", [])]
        return found[:limit]

    def claim_delivery(self, intercept_id: str, message_id: str, now: datetime, lease_seconds: int) -> dict | None:
        """Take the right to attempt a pending, due delivery; None when it is not ours to attempt."""

        now_iso = to_iso(now)
        try:
            found = self._db.update_item(
                TableName=self._table, Key=db._item(keys.delivery(intercept_id, message_id)),
                UpdateExpression="SET lease_until = :lease",
                ConditionExpression="#status = :pending AND next_attempt_at <= :now "
                                    "AND (attribute_not_exists(lease_until) OR lease_until < :now)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=db._item({":lease": to_iso(now + timedelta(seconds=lease_seconds)),
                                                 ":now": now_iso, ":pending": DeliveryStatus.pending}),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return _delivery(db._data(found["Attributes"]))

    def record_attempt(self, delivery: dict, *, status: str, attempt: dict, next_attempt_at: datetime | None,
                       now: datetime) -> bool:
        """Record one attempt under the lease taken by `claim_delivery`; False if the lease was lost."""

        values: dict[str, Any] = {":status": status, ":attempt": [attempt], ":lease": delivery["lease_until"],
                                  ":one": 1, ":empty": []}
        assignments = ["#status = :status", "attempts = attempts + :one",
                       "attempt_log = list_append(if_not_exists(attempt_log, :empty), :attempt)"]
        removals = ["lease_until"]
        if status == DeliveryStatus.pending and next_attempt_at is not None:
            values.update({":next": to_iso(next_attempt_at),
                           ":outbox_pk": keys.outbox(keys.shard_of(delivery["id"])),
                           ":outbox_sk": f"{to_iso(next_attempt_at + OUTBOX_GRACE)}#{delivery['id']}"})
            assignments += ["next_attempt_at = :next", "GSI3PK = :outbox_pk", "GSI3SK = :outbox_sk"]
        else:
            values[":finished"] = to_iso(now)
            assignments.append("finished_at = :finished")
            removals += ["GSI3PK", "GSI3SK"]
        try:
            self._db.update_item(
                TableName=self._table, Key=db._item(keys.delivery(delivery["intercept_id"], delivery["id"])),
                UpdateExpression="SET " + ", ".join(assignments) + " REMOVE " + ", ".join(removals),
                ConditionExpression="lease_until = :lease",
                ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=db._item(values),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    # -- webhook endpoints --------------------------------------------------------------------

    def get_webhook_endpoint(self, platform_id: str) -> dict | None:

        found = self._db.get_item(TableName=self._table, Key=db._item(keys.webhook_endpoint(platform_id)),
                                  ConsistentRead=True).get("Item")
        return db._data(found) if found else None

    def put_webhook_endpoint(self, platform_id: str, endpoint: dict, expected_version: int | None) -> bool:
        """Replace the endpoint if it is still at `expected_version` (None: none exists yet)."""

        version = (expected_version or 0) + 1
        condition = ("attribute_not_exists(PK)" if expected_version is None else "version = :expected")
        params: dict[str, Any] = {"TableName": self._table, "ConditionExpression": condition,
                                  "Item": db._item({**keys.webhook_endpoint(platform_id), **endpoint, "version": version})}
        if expected_version is not None:
            params["ExpressionAttributeValues"] = db._item({":expected": expected_version})
        try:
            self._db.put_item(**params)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def disable_webhook_endpoint(self, platform_id: str, url: str, reason: str, now: datetime) -> None:
        """Disable the endpoint, unless the platform has registered another URL meanwhile."""

        try:
            self._db.update_item(
                TableName=self._table, Key=db._item(keys.webhook_endpoint(platform_id)),
                UpdateExpression="SET enabled = :false, disabled_reason = :reason, disabled_at = :now",
                ConditionExpression="#url = :url", ExpressionAttributeNames={"#url": "url"},
                ExpressionAttributeValues=db._item({":false": False, ":reason": reason, ":now": to_iso(now),
                                                 ":url": url}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    # -- claims -------------------------------------------------------------------------------

    def create_claim(self, record: Intercept, claim: Claim, now: datetime) -> None:

        event = Event(at=claim.created_at, source=EventSource.api, from_status=record.status, to_status=record.status,
                      reason=f"claim {claim.id} opened for {claim.amount} fen")
        outbox = self._outbox(record.platform_id, record.id, [claim_event(claim, claim.created_at)], now)
        self._db.transact_write_items(TransactItems=[
            {"Put": {"TableName": self._table, "ConditionExpression": "attribute_not_exists(PK)",
                     "Item": db._item({**keys.claim(record.id, claim.id), **claim.model_dump(mode="json")})}},
            {"Put": {"TableName": self._table, "Item": self._event_item(record.id, event),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            *outbox,
        ])
        self._publish(outbox)

    def resolve_claim(self, record: Intercept, claim: Claim, to_status: ClaimStatus, note: str, source: EventSource,
                      now: datetime) -> Claim:
        """Move an open claim to paid or rejected; StaleState if it is no longer open."""

        at = to_iso(now)
        resolved = claim.model_copy(update={"status": to_status, "updated_at": at, "resolution_note": note})
        event = Event(at=at, source=source, from_status=record.status, to_status=record.status,
                      reason=f"claim {claim.id} {to_status.value}" + (f": {note}" if note else ""))
        outbox = self._outbox(record.platform_id, record.id, [claim_event(resolved, at)], now)
        try:
            self._db.transact_write_items(TransactItems=[
                {"Update": {"TableName": self._table, "Key": db._item(keys.claim(record.id, claim.id)),
                            "UpdateExpression": "SET #status = :to, updated_at = :at, resolution_note = :note",
                            "ConditionExpression": "#status = :open", "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": db._item({":to": to_status.value, ":at": at, ":note": note,
                                                                ":open": ClaimStatus.open.value})}},
                {"Put": {"TableName": self._table, "Item": self._event_item(record.id, event),
                         "ConditionExpression": "attribute_not_exists(PK)"}},
                *outbox,
            ])
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException" \
                    and db._cancel_codes(error)[:1] == ["ConditionalCheckFailed"]:
                raise db.StaleState(f"claim {claim.id} is no longer open") from error
            raise
        self._publish(outbox)
        return resolved

    # -- the local stage's clock --------------------------------------------------------------

    def clock_offset_seconds(self) -> float:

        found = self._db.get_item(TableName=self._table, Key=db._item(keys.local_clock()), ConsistentRead=True).get("Item")
        return float(db._data(found)["offset_seconds"]) if found else 0.0

    def advance_clock_offset(self, seconds: float) -> float:
        """Add `seconds` to the stored offset atomically; returns the new offset."""
        found = self._db.update_item(
            TableName=self._table, Key=db._item(keys.local_clock()),
            UpdateExpression="SET offset_seconds = if_not_exists(offset_seconds, :zero) + :delta",
            ExpressionAttributeValues=db._item({":zero": 0, ":delta": Decimal(str(seconds))}), ReturnValues="ALL_NEW")
        return float(db._data(found["Attributes"])["offset_seconds"])
