"""The outbox relay: every committed change of an interception, read from the table's stream,
becomes its webhook messages on the notify queue.

A change is one conditional write (or transaction) of the record; the webhooks it owes the
platform follow from the record's image before and after it (`webhooks.events`), so nothing has to
write them inside the change, and none is lost: the stream holds every change for 24 hours, and
the relay's batch fails (and is retried by Lambda, record by record) until its messages are
queued. Each message carries the whole delivery; its id comes from the stream record, so a
record relayed twice is delivered once (the notify worker creates the delivery conditionally).
"""
from __future__ import annotations

import hashlib
import logging
from typing import Any, Iterable

from chalicelib.clock import from_iso, ulid
from chalicelib.domain.models import AfterSale, Claim, Intercept
from chalicelib.store import keys
from chalicelib.store.codec import data
from chalicelib.webhooks.events import after_sale_events, claim_event, intercept_events
from chalicelib.webhooks.outbox import WebhookOutbox

log = logging.getLogger(__name__)


def deliveries_of(event_id: str, sequence_number: str, name: str, old_image: dict | None,
                  new_image: dict | None) -> list[dict]:
    """The webhook deliveries one stream record owes: none for items that are not a record or a
    claim, or for changes a platform is not told about (a lease, an attempt)."""
    item = new_image or old_image or {}
    sort_key = item.get("SK", {}).get("S", "")
    if name == "REMOVE" or new_image is None:
        return []
    if sort_key == "META":
        before = Intercept.model_validate(data(old_image)) if old_image else None
        after = Intercept.model_validate(data(new_image))
        events, at, platform_id, intercept_id = (intercept_events(before, after, after.updated_at), after.updated_at,
                                                 after.platform_id, after.id)
    elif sort_key == keys.AFTER_SALE_SK:
        before = AfterSale.model_validate(data(old_image)) if old_image else None
        after = AfterSale.model_validate(data(new_image))
        events, at, platform_id = after_sale_events(before, after, after.updated_at), after.updated_at, after.platform_id
        intercept_id = keys.after_sale_deliveries_id(after.platform_id, after.id)
    elif sort_key.startswith(keys.CLAIM_PREFIX):
        claim = Claim.model_validate(data(new_image))
        if old_image is not None and data(old_image).get("status") == claim.status.value:
            return []
        platform_id = new_image.get("platform_id", {}).get("S")
        if platform_id is None:
            return []
        events, at, intercept_id = [claim_event(claim, claim.updated_at)], claim.updated_at, claim.intercept_id
    else:
        return []
    return [{"id": _message_id(at, sequence_number, number, event_id), "intercept_id": intercept_id,
             "platform_id": platform_id, "type": event_type, "body": body, "created_at": at}
            for number, (event_type, body) in enumerate(events)]


def _message_id(at: str, sequence_number: str, number: int, stream_event_id: str) -> str:
    """The same each time this change is relayed, and in the order of the record's changes: the
    change's time, then its stream sequence number (a record's items share a partition key, so
    their changes are in one stream shard, numbered in commit order, even within one millisecond)
    and the event's place in the change, then a hash of the stream record."""
    tail = (int(sequence_number) % (1 << 40)).to_bytes(5, "big") + bytes([number % 256]) + hashlib.sha256(
        f"{stream_event_id}:{number}".encode()).digest()[:4]
    return ulid("msg", int(from_iso(at).timestamp() * 1000), tail)


class OutboxRelay:
    def __init__(self, outbox: WebhookOutbox) -> None:
        self._outbox = outbox

    def handle(self, records: Iterable[Any]) -> dict:
        """Relay a batch of stream records (Chalice DynamoDBRecords), their messages queued
        together (ten to an SQS request). When queueing fails, the batch fails from its first
        record that owed a message (Lambda retries from there; a message queued twice is
        delivered once); a record that cannot be read fails from itself, after what came before
        it has been queued."""
        pending: list[dict] = []
        first_owing = None
        for record in records:
            try:
                deliveries = deliveries_of(record.event_id, record.sequence_number, record.event_name, record.old_image, record.new_image)
            except Exception:  # noqa: BLE001 - reported to Lambda, which retries from this record
                log.exception("reading a change failed", extra={"sequence_number": record.sequence_number})
                return self._queue(pending, first_owing) or _failed_from(record.sequence_number)
            if deliveries and first_owing is None:
                first_owing = record.sequence_number
            pending.extend(deliveries)
        return self._queue(pending, first_owing) or _failed_from(None)

    def _queue(self, deliveries: list[dict], first_owing: str | None) -> dict | None:
        try:
            self._outbox.queue_new(deliveries)
        except Exception:  # noqa: BLE001 - reported to Lambda, which retries from that record
            log.exception("queueing relayed webhooks failed", extra={"sequence_number": first_owing})
            return _failed_from(first_owing)
        return None


def _failed_from(sequence_number: str | None) -> dict:
    return {"batchItemFailures": [{"itemIdentifier": sequence_number}] if sequence_number else []}
