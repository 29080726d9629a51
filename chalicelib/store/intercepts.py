"""Interception records: the record, its history, its idempotency record and parcel claim, the
listings and sweeps' reads, and the leases of the dispatch worker.

Every status change is written by `apply` from a `Change` the lifecycle built: one transaction of
the record update (conditioned on the state the change was decided on) and its history event.
The webhooks a change owes follow from it through the table's stream (chalicelib/webhooks/relay.py).
Reads are GetItem/Query/BatchGetItem; nothing here scans the table.
"""
from __future__ import annotations

import base64
import binascii
import itertools
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterator

from chalicelib.clock import from_iso, new_id, to_iso
from chalicelib.domain.changes import AfterSaleChange, Change
from chalicelib.domain.models import (
    KEPT_APART,
    AfterSale,
    Carrier,
    Claim,
    Event,
    Intercept,
    InterceptStatus,
    RefundStatus,
    created_event,
)
from chalicelib.store import keys
from chalicelib.store.after_sales import after_sale_values, update_entry
from chalicelib.store.codec import data, pack, to_item, unpack
from chalicelib.store.refusals import (
    IdempotencyKeyUsed,
    InvalidCursor,
    ParcelAlreadyIntercepted,
    ParcelClaimedElsewhere,
    StaleState,
)
from chalicelib.store.sharded_reads import ShardedIndex
from chalicelib.store.table import Table, TransactionCancelled, new_put
from chalicelib.store.tracking import scans_of

#: Positions of the writes in the create transaction (see `create`).
_PARCEL, _IDEMPOTENCY = 1, 2


#: Items a listing reads at most per request while filling a page (about 250 read units).
LIST_READ_BUDGET = 1000


@dataclass(frozen=True)
class ListQuery:
    platform_id: str
    merchant_id: str | None = None
    status: InterceptStatus | None = None
    carrier: str | None = None
    refund_status: RefundStatus | None = None
    after_sale_id: str | None = None
    created_from: str | None = None
    created_to: str | None = None
    tracking_no: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class IdempotencyRecord:
    """What `create` stores under the client's Idempotency-Key: the body's fingerprint and the answer."""

    key: str
    body_hash: str
    response: dict
    ttl_seconds: int = 86_400


class AfterSaleExists(Exception):
    """The platform already has an after-sale of several parcels with this id."""


class TargetClaimed(Exception):
    """A parcel of an after-sale is held by another interception (see `create_after_sale`)."""

    def __init__(self, position: int, intercept_id: str | None, platform_id: str | None) -> None:
        super().__init__(position)
        self.position = position
        self.intercept_id = intercept_id
        self.platform_id = platform_id


class _ClaimTaken(Exception):
    def __init__(self, intercept_id: str, platform_id: str) -> None:
        super().__init__(intercept_id)
        self.intercept_id = intercept_id
        self.platform_id = platform_id


def event_entry(intercept_id: str, event: Event) -> dict:
    """The transaction entry appending `event` to an intercept's history."""
    return new_put({**keys.intercept_event(intercept_id, event.at, new_id("evt")), **event.model_dump(mode="json")})


class InterceptStore:
    def __init__(self, table: Table, shards: keys.Shards = keys.Shards()) -> None:
        self._table = table
        self._shards = shards

    # -- writes -------------------------------------------------------------------------------

    def create(self, change: Change, idempotency: IdempotencyRecord, now: datetime,
               ended: frozenset[str] = frozenset()) -> None:
        """Write the record, the parcel claim and the idempotency record at once (the record's first
        event is its own fields: `models.created_event`).

        The parcel claim is one per physical parcel (carrier and tracking number), whichever
        platform asks. Another platform's claim is taken over only when its interception has
        ended in one of the `ended` statuses (the lifecycle's decision: the carrier no longer holds
        an instruction for the parcel); the takeover is conditioned on that claim, so two platforms
        racing for it cannot both win.

        Raises IdempotencyKeyUsed (with the stored record), ParcelAlreadyIntercepted (the caller's
        own) or ParcelClaimedElsewhere.
        """
        try:
            return self._create(change, idempotency, now, taking_over=None)
        except _ClaimTaken as taken:
            if taken.platform_id == change.after.platform_id:
                raise ParcelAlreadyIntercepted(taken.intercept_id) from None
            holder = self.get(taken.intercept_id)
            if holder is None or holder.status.value not in ended:
                raise ParcelClaimedElsewhere() from None
            try:
                return self._create(change, idempotency, now, taking_over=holder)
            except _ClaimTaken:
                raise ParcelClaimedElsewhere() from None

    def _create(self, change: Change, idempotency: IdempotencyRecord, now: datetime,
                taking_over: Intercept | None) -> None:
        record = change.after
        now_epoch = int(now.timestamp())
        parcel = keys.parcel(record.carrier, record.tracking_no)
        entries = [
            new_put(record_values(change, self._shards)),
            parcel_claim_entry(record, taking_over),
            new_put({**keys.idempotency(record.platform_id, idempotency.key), "body_hash": idempotency.body_hash,
                     "response": pack(json.dumps(idempotency.response)), "intercept_id": record.id,
                     "expires_at": now_epoch + idempotency.ttl_seconds},
                    condition="attribute_not_exists(PK) OR expires_at < :now",
                    ExpressionAttributeValues=to_item({":now": now_epoch})),
        ]
        try:
            self._table.transact(entries)
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(_IDEMPOTENCY):
                stored = self.idempotency(record.platform_id, idempotency.key)
                if stored:
                    raise IdempotencyKeyUsed(stored) from cancelled
            if cancelled.failed_at(_PARCEL):
                held = self._table.get(parcel)
                if held:
                    raise _ClaimTaken(held["intercept_id"], held.get("platform_id", record.platform_id)) \
                        from cancelled
            raise

    def apply(self, change: Change) -> None:
        """Write `change`: the update conditioned on the status (and, when the after-sale track moves,
        the refund status) it was decided on, and its history event. Raises StaleState when the record
        moved on meanwhile.
        """
        before, after = change.before, change.after
        assert before is not None, "a new record is written by create()"
        set_values = {name: value for name, value in change.fields.items() if value is not None}
        removals = [name for name, value in change.fields.items() if value is None]
        index_values: dict[str, Any] = {}
        shards = self._shards
        if change.status_moved:
            index_values.update(keys.status_entry(after.platform_id, after.status.value, after.id, shards))
            if change.open:
                index_values.update(keys.open_work_entry(after.status.value, after.updated_at, after.id, shards))
            else:
                removals += keys.OPEN_WORK_ATTRIBUTES
        if change.fields.get("charged_at"):
            index_values.update(keys.charged_entry(after.platform_id, after.id, shards))
        if change.refund_moved:
            index_values.update(keys.refund_status_entry(after.platform_id, after.refund_status.value, after.id,
                                                         shards))
            if not change.refund_due:
                removals += keys.REFUND_DUE_ATTRIBUTES
        assigned = {**set_values, **index_values}
        names = {f"#f{i}": name for i, name in enumerate(assigned)}
        values = {f":v{i}": value for i, value in enumerate(assigned.values())}
        assignments = [f"{alias} = :v{i}" for i, alias in enumerate(names)]
        names.update({"#expected": "status", "#version": "version"})
        values.update({":expected": before.status.value, ":one": 1})
        condition = "#expected = :expected"
        if change.refund_moved:
            # The after-sale track moves at most once: a merchant's decision, the deadline sweep or
            # an automatic refund may have moved it since `before` was read.
            names["#expected_refund"] = "refund_status"
            values[":expected_refund"] = before.refund_status.value
            condition += " AND #expected_refund = :expected_refund"
        for number, (name, value) in enumerate(change.expected.items()):
            names[f"#e{number}"] = name
            values[f":e{number}"] = value
            condition += f" AND #e{number} = :e{number}"
        expression = "SET " + ", ".join(assignments + ["#version = #version + :one"])
        if removals:
            expression += " REMOVE " + ", ".join(removals)
        entries = [
            {"Update": {"Key": to_item(keys.intercept(after.id)), "UpdateExpression": expression,
                        "ConditionExpression": condition, "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": to_item(values)}},
            event_entry(after.id, change.event),
        ]
        if change.after_sale is not None:
            entries.append(update_entry(change.after_sale))
        try:
            self._table.transact(entries)
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                raise StaleState(f"{after.id} is no longer {before.status.value}/{before.refund_status.value}") \
                    from cancelled
            if change.after_sale is not None and cancelled.failed_at(2):
                raise StaleState(f"the after-sale of {after.id} changed meanwhile") from cancelled
            raise

    def create_after_sale(self, after_sale: AfterSaleChange, records: list[Change], idempotency: IdempotencyRecord,
                          now: datetime) -> None:
        """Write an after-sale of several parcels, each sent parcel's record and claim, and the one
        idempotency record of the request, in one transaction (at most 2 + 2 x 20 items).

        Raises IdempotencyKeyUsed (with the stored record), AfterSaleExists, or TargetClaimed naming
        the position in `records` of a parcel another interception holds."""
        sale = after_sale.after
        now_epoch = int(now.timestamp())
        entries = [new_put(after_sale_values(after_sale, self._shards)),
                   new_put({**keys.idempotency(sale.platform_id, idempotency.key), "body_hash": idempotency.body_hash,
                            "response": pack(json.dumps(idempotency.response)), "after_sale_id": sale.id,
                            "expires_at": now_epoch + idempotency.ttl_seconds},
                           condition="attribute_not_exists(PK) OR expires_at < :now",
                           ExpressionAttributeValues=to_item({":now": now_epoch}))]
        claims_at = []  # per parcel of `records`, the position of its claim in the transaction
        for change in records:
            record = change.after
            entries.append(new_put(record_values(change, self._shards)))
            claims_at.append(len(entries))
            entries.append(parcel_claim_entry(record))
        try:
            self._table.transact(entries)
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(1):
                stored = self.idempotency(sale.platform_id, idempotency.key)
                if stored:
                    raise IdempotencyKeyUsed(stored) from cancelled
            if cancelled.failed_at(0):
                raise AfterSaleExists(sale.id) from cancelled
            for position, claim_at in enumerate(claims_at):
                if cancelled.failed_at(claim_at):
                    record = records[position].after
                    held = self._table.get(keys.parcel(record.carrier, record.tracking_no)) or {}
                    raise TargetClaimed(position, held.get("intercept_id"), held.get("platform_id")) from cancelled
            raise

    # -- dispatch and cancel leases -------------------------------------------------------------

    def claim_dispatch(self, intercept_id: str, now: datetime, lease_seconds: int,
                       via: str | None = None) -> Intercept | None:
        """Take the right to call the carrier for a pending intercept; None if it is not ours to take.

        The lease keeps two copies of one dispatch message from both calling the carrier; it
        expires so a crashed worker's message can take over when it becomes visible again. `via`,
        the aggregator the call goes through, is kept from the first lease on.
        """
        found = self._table.update(
            keys.intercept(intercept_id),
            UpdateExpression="SET dispatch_lease_until = :lease, dispatch_attempts = if_not_exists("
                             "dispatch_attempts, :zero) + :one" + (", via = if_not_exists(via, :via)" if via else ""),
            ConditionExpression="#status = :pending AND (attribute_not_exists(dispatch_lease_until) "
                                "OR dispatch_lease_until < :now)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_item({":lease": _lease_until(now, lease_seconds), ":now": to_iso(now),
                                               ":pending": "pending", ":zero": 0, ":one": 1, ":via": via}),
            ReturnValues="ALL_NEW")
        return Intercept.model_validate(found) if found is not None else None

    def release_dispatch(self, intercept_id: str, error: str, uncount: bool = False) -> None:
        """Give the lease back after a transient carrier failure, keeping the error for operators (also
        when a cancel was requested meanwhile: the withdrawal waits for this lease).

        `uncount` takes back the attempt the claim counted, for a claim that did not call the carrier.
        """
        values: dict[str, Any] = {":error": error[:500], ":pending": "pending", ":cancel_requested": "cancel_requested"}
        update = "SET last_error = :error"
        if uncount:
            update += ", dispatch_attempts = dispatch_attempts - :one"
            values[":one"] = 1
        self._table.update(keys.intercept(intercept_id), UpdateExpression=update + " REMOVE dispatch_lease_until",
                           ConditionExpression="#status IN (:pending, :cancel_requested)",
                           ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=to_item(values))

    def record_late_acceptance(self, intercept_id: str, carrier_ref: str | None) -> None:
        """The carrier accepted an instruction whose cancel was requested while the call was in flight:
        keep what the withdrawal needs (the carrier's reference, that it holds the instruction) and
        end the dispatch lease, so the withdrawal need not wait for it."""
        values = {":true": True, ":cancel_requested": "cancel_requested", ":ref": carrier_ref}
        update = "SET carrier_accepted = :true" + (", carrier_ref = :ref" if carrier_ref else "")
        self._table.update(keys.intercept(intercept_id), UpdateExpression=update + " REMOVE dispatch_lease_until",
                           ConditionExpression="#status = :cancel_requested",
                           ExpressionAttributeNames={"#status": "status"}, ExpressionAttributeValues=to_item(values))

    def claim_cancel(self, intercept_id: str, now: datetime, lease_seconds: int) -> int | None:
        """Take the right to withdraw the instruction of a `cancel_requested` intercept at the carrier,
        like `claim_dispatch`.

        Returns the attempt number, or None when the carrier's answer is already recorded or
        another delivery holds the lease. The lease is dropped with the answer or by `release_cancel`.
        """
        found = self._table.update(
            keys.intercept(intercept_id),
            UpdateExpression="SET cancel_lease_until = :lease ADD cancel_attempts :one",
            ConditionExpression="#status = :cancel_requested AND attribute_not_exists(carrier_cancel) AND "
                                "(attribute_not_exists(cancel_lease_until) OR cancel_lease_until < :now)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_item({":lease": _lease_until(now, lease_seconds), ":now": to_iso(now),
                                               ":one": 1, ":cancel_requested": "cancel_requested"}),
            ReturnValues="UPDATED_NEW")
        return int(found["cancel_attempts"]) if found is not None else None

    def release_cancel(self, intercept_id: str) -> None:
        self._table.update(keys.intercept(intercept_id), UpdateExpression="REMOVE cancel_lease_until")

    def set_carrier_cancel(self, intercept_id: str, outcome: str) -> None:
        """Record what the carrier said to a withdrawal that did not end the interception (it had
        acted already, or could not be reached); the record stays `cancel_requested`."""
        self._table.update(keys.intercept(intercept_id),
                           UpdateExpression="SET carrier_cancel = :outcome REMOVE cancel_lease_until",
                           ConditionExpression="#status = :cancel_requested", ExpressionAttributeNames={"#status": "status"},
                           ExpressionAttributeValues=to_item({":outcome": outcome[:300],
                                                              ":cancel_requested": "cancel_requested"}))

    # -- reads --------------------------------------------------------------------------------

    def parcel_holder(self, carrier: str, tracking_no: str) -> str | None:
        """The id of the interception whose claim holds this parcel, if any."""
        item = self._table.get(keys.parcel(carrier, tracking_no))
        return item.get("intercept_id") if item else None

    def get(self, intercept_id: str) -> Intercept | None:
        """The record alone (strongly consistent)."""
        found = self._table.get(keys.intercept(intercept_id))
        return Intercept.model_validate(found) if found else None

    def many(self, intercept_ids: list[str]) -> list[Intercept]:
        """The records of `intercept_ids` (one BatchGetItem per 100, strongly consistent)."""
        return [Intercept.model_validate(data(item))
                for item in self._table.fetch([to_item(keys.intercept(one)) for one in intercept_ids], consistent=True)]

    def get_with_history(self, intercept_id: str) -> Intercept | None:
        """The record with its event history, claims and tracking scans, in one strongly consistent query."""
        items = list(self._table.query_all(
            KeyConditionExpression="PK = :pk AND SK <= :meta",
            ExpressionAttributeValues=to_item({":pk": keys.intercept(intercept_id)["PK"],
                                               ":meta": keys.RECORD_WITH_HISTORY_UNTIL}),
            ConsistentRead=True))
        meta = next((item for item in items if item["SK"]["S"] == keys.RECORD_WITH_HISTORY_UNTIL), None)
        if meta is None:
            return None
        record = Intercept.model_validate(data(meta))
        stored = [Event.model_validate(data(item)) for item in items if item["SK"]["S"].startswith(keys.EVENT_PREFIX)]
        # records written before the first event was left out of the store hold it as an item
        first = [] if any(event.from_status is None for event in stored) else [
            created_event(record.created_at, record.reason)]
        record.events = first + stored
        record.claims = [Claim.model_validate(data(item)) for item in items
                         if item["SK"]["S"].startswith(keys.CLAIM_PREFIX)]
        tracking = next((item for item in items if item["SK"]["S"] == keys.TRACKING_SK), None)
        record.tracking = scans_of(data(tracking)) if tracking else []
        return record

    def idempotency(self, platform_id: str, key: str) -> dict | None:
        found = self._table.get(keys.idempotency(platform_id, key), consistent=False)
        if not found:
            return None
        return {**found, "response": unpack(found["response"])}

    def list(self, query: ListQuery) -> tuple[list[Intercept], str | None]:
        """One page of a tenant's intercepts, newest first, from a sharded keys-only index merged in
        time order: the status or after-sale-status index when the query filters on one (the key
        serves the filter), else one merchant's or the platform's. The other filters are applied to
        the items fetched for the page, reading on until `limit` items match, the index ends, or
        LIST_READ_BUDGET entries were read for this request (the page may then be short;
        `next_cursor`, set whenever more may follow, continues where reading stopped).
        """
        if query.tracking_no:
            return self._list_parcel(query)
        index, remaining = self._listing_index(query)
        shards = index.start(query.cursor)
        found: list[Intercept] = []
        read = 0
        while len(found) < query.limit and read < LIST_READ_BUDGET:
            wanted = query.limit - len(found)  # taking no more than can match: a page never overshoots
            page = min(LIST_READ_BUDGET - read, max(2 * wanted, 25)) if remaining else wanted
            entries, spent = index.take(shards, wanted, page)
            read += spent
            if not entries:
                break
            found += [record for record in self._records(entries)
                      if all(record_value(record, name) == value for name, value in remaining.items())]
        return found, index.cursor(shards)

    def of_parcel(self, platform_id: str, tracking_no: str, carriers: list[str]) -> list[Intercept]:
        """Every intercept the platform made of this tracking number at these carriers, newest first:
        the parcels' claims list them (one BatchGetItem), then their records (one more)."""
        claims = self._table.fetch([to_item(keys.parcel(carrier, tracking_no)) for carrier in carriers])
        mine = keys.parcel_interception(platform_id, "")
        found: set[str] = set()
        for claim in map(data, claims):
            found |= {entry[len(mine):] for entry in claim.get(keys.PARCEL_INTERCEPTIONS, ()) if entry.startswith(mine)}
            if claim.get("platform_id") == platform_id:  # a claim written before it listed its interceptions
                found.add(claim["intercept_id"])
        records = [record for record in self.many(sorted(found))
                   if record.platform_id == platform_id and record.tracking_no == tracking_no]
        return sorted(records, key=_newest_first_position, reverse=True)

    def _list_parcel(self, query: ListQuery) -> tuple[list[Intercept], str | None]:
        """A listing by tracking number: the parcel's intercepts (a handful), the other filters applied
        to them, paged by the position of the last one returned."""
        carriers = [query.carrier] if query.carrier else [carrier.value for carrier in Carrier]
        filters = {"merchant_id": query.merchant_id, "status": query.status.value if query.status else None,
                   "refund_status": query.refund_status.value if query.refund_status else None,
                   "after_sale_id": query.after_sale_id}
        remaining = {name: value for name, value in filters.items() if value is not None}
        after = _parcel_cursor_position(query.cursor, query.tracking_no) if query.cursor else None
        matching = [record for record in self.of_parcel(query.platform_id, query.tracking_no, carriers)
                    if all(record_value(record, name) == value for name, value in remaining.items())
                    and (query.created_from is None or record.created_at >= query.created_from)
                    and (query.created_to is None or record.created_at <= query.created_to)
                    and (after is None or _newest_first_position(record) < after)]
        page = matching[:query.limit]
        more = len(matching) > query.limit
        return page, _parcel_cursor(query.tracking_no, page[-1]) if more else None

    def _listing_index(self, query: ListQuery) -> tuple[ShardedIndex, dict[str, str]]:
        """The index that serves `query`, and the filters left to apply to the fetched items."""
        filters = {"merchant_id": query.merchant_id, "status": query.status.value if query.status else None,
                   "refund_status": query.refund_status.value if query.refund_status else None,
                   "carrier": query.carrier, "after_sale_id": query.after_sale_id}
        platform, shards = query.platform_id, self._shards
        if filters["status"]:
            name, pk, served = "by_status", "GSI6PK", filters.pop("status")
            partitions = [keys.by_status(platform, served, n) for n in range(shards.busy)]
        elif filters["refund_status"]:
            name, pk, served = "by_refund_status", "GSI7PK", filters.pop("refund_status")
            partitions = [keys.by_refund_status(platform, served, n) for n in range(shards.busy)]
        elif filters["merchant_id"]:
            name, pk, served = "by_merchant", "GSI2PK", filters.pop("merchant_id")
            partitions = [keys.by_merchant(platform, served, n) for n in range(shards.merchant)]
        else:
            name, pk = "by_platform", "GSI1PK"
            partitions = [keys.by_platform(platform, n) for n in range(shards.listing)]
        sk = "created_at"
        condition, values = "", {}
        if query.created_from and query.created_to:
            condition, values = f" AND {sk} BETWEEN :from AND :to", {":from": query.created_from,
                                                                   ":to": query.created_to}
        elif query.created_from:
            condition, values = f" AND {sk} >= :from", {":from": query.created_from}
        elif query.created_to:
            condition, values = f" AND {sk} <= :to", {":to": query.created_to}
        index = ShardedIndex(self._table, name, pk, sk, partitions, condition, values)
        return index, {field: value for field, value in filters.items() if value is not None}

    def _records(self, entries: list[dict]) -> list[Intercept]:
        """The records of index entries, in the entries' order (one BatchGetItem per 100)."""
        return [Intercept.model_validate(data(item)) for item in self._table.fetch(entries)]

    def _all_shards(self, index: str, pk: str, partitions: list[str], condition: str, values: dict) -> list[dict]:
        """Every entry of a sharded index's partition whose sort key meets `condition` (in no order)."""
        entries = []
        for partition in partitions:
            entries += self._table.query_all(IndexName=index, KeyConditionExpression=f"{pk} = :pk{condition}",
                                             ExpressionAttributeValues=to_item({":pk": partition, **values}))
        return entries

    def of_merchant(self, platform_id: str, merchant_id: str, start: str, end: str) -> Iterator[Intercept]:
        """One merchant's intercepts created in [start, end] (ISO UTC)."""
        entries = self._all_shards("by_merchant", "GSI2PK",
                                   [keys.by_merchant(platform_id, merchant_id, n) for n in range(self._shards.merchant)],
                                   " AND created_at BETWEEN :start AND :end", {":start": start, ":end": end})
        for offset in range(0, len(entries), 100):
            yield from self._records(entries[offset:offset + 100])

    def charged(self, platform_id: str, start: str, end: str, shard: int | None = None) -> Iterator[Intercept]:
        """A platform's intercepts charged in [start, end) (ISO UTC): of one shard of the charged
        index, or of all (an export's part is one shard over a slice of its period). Streamed: 100
        index entries at a time, whatever the range holds."""
        # A key condition has no "< end" beside ">= start": BETWEEN up to the last millisecond before
        # `end` (timestamps are stored to the millisecond), so a charge at midnight is in one day only.
        last = to_iso(from_iso(end) - timedelta(milliseconds=1))
        shard_numbers = range(self._shards.listing) if shard is None else [shard]
        for number in shard_numbers:
            entries = self._table.query_all(
                IndexName="charged", KeyConditionExpression="GSI5PK = :pk AND charged_at BETWEEN :start AND :last",
                ExpressionAttributeValues=to_item({":pk": keys.charged(platform_id, number), ":start": start,
                                                   ":last": last}))
            while page := list(itertools.islice(entries, 100)):
                yield from self._records(page)

    def open(self, status: InterceptStatus, changed_before: datetime, limit: int) -> list[Intercept]:
        """Intercepts in an open status whose last change is older than `changed_before`, at most
        `limit`, oldest first across the shards (sparse, sharded index)."""
        index = ShardedIndex(self._table, "open_work", "GSI3PK", "GSI3SK",
                             [keys.open_work(status.value, n) for n in range(self._shards.busy)],
                             " AND GSI3SK < :before", {":before": to_iso(changed_before)}, newest_first=False)
        entries, _ = index.take(index.start(None), limit, limit)
        return self._records(entries)

    def open_page(self, status: InterceptStatus, limit: int, cursor: str | None) -> tuple[list[Intercept], str | None]:
        """One page of every platform's intercepts in an open status, most recently changed first
        (the sparse `open_work` index merged over its shards), and the cursor of the next. A record
        that has left the status since its entry was read is left out (the page is then short)."""
        index = ShardedIndex(self._table, "open_work", "GSI3PK", "GSI3SK",
                             [keys.open_work(status.value, n) for n in range(self._shards.busy)])
        shards = index.start(cursor)
        entries, _ = index.take(shards, limit, min(limit, 25))
        return [record for record in self._records(entries) if record.status == status], index.cursor(shards)

    def count_open(self, status: InterceptStatus) -> int:
        """How many intercepts are in an open status (COUNT queries: only the sparse index is read)."""
        total = 0
        for shard in range(self._shards.busy):
            params: dict[str, Any] = {"IndexName": "open_work", "Select": "COUNT", "KeyConditionExpression": "GSI3PK = :pk",
                                      "ExpressionAttributeValues": to_item({":pk": keys.open_work(status.value, shard)})}
            while True:
                page = self._table.query(**params)
                total += page["Count"]
                if "LastEvaluatedKey" not in page:
                    break
                params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return total

    def due_refunds(self, now: datetime, limit: int) -> tuple[list[Intercept | AfterSale], int]:
        """Intercepts whose refund deadline is at or before `now`, at most `limit`, oldest first.

        Merges the shards of the sparse `refund_due` index with a key condition that selects only
        due items, so DynamoDB reads no item it does not return. Also returns the sum of
        DynamoDB's ScannedCount.
        """
        index = ShardedIndex(self._table, "refund_due", "GSI4PK", "processing_deadline",
                             [keys.refund_due(n) for n in range(self._shards.busy)],
                             " AND processing_deadline <= :now", {":now": to_iso(now)}, newest_first=False)
        entries, scanned = index.take(index.start(None), limit, max(1, -(-limit // self._shards.busy)))
        # the index lists records and after-sales of several parcels alike
        return [AfterSale.model_validate(data(item)) if item["SK"]["S"] == keys.AFTER_SALE_SK
                else Intercept.model_validate(data(item)) for item in self._table.fetch(entries)], scanned


def record_values(change: Change, shards: keys.Shards = keys.Shards()) -> dict:
    """A new record's item: its data and the index entries its state calls for."""
    record = change.after
    values = {**keys.intercept(record.id),
              **keys.listing_entries(record.platform_id, record.merchant_id, record.id, shards),
              **keys.status_entry(record.platform_id, record.status.value, record.id, shards),
              **keys.refund_status_entry(record.platform_id, record.refund_status.value, record.id, shards)}
    if change.open:
        values.update(keys.open_work_entry(record.status.value, record.updated_at, record.id, shards))
    if change.refund_due:
        values.update(keys.refund_due_entry(record.id, shards))
    return {**values, **record.model_dump(mode="json", exclude=KEPT_APART)}


def parcel_claim_entry(record: Intercept, taking_over: Intercept | None = None) -> dict:
    """The transaction entry claiming the record's parcel: created if absent, or taken over from
    `taking_over` (conditioned on that one still holding it). The claim's interceptions gain this
    one, and the one taken over (a claim written before they were kept lists none)."""
    interceptions = {keys.parcel_interception(one.platform_id, one.id) for one in (record, taking_over) if one}
    values = {":id": record.id, ":platform": record.platform_id, ":interceptions": interceptions}
    condition = "attribute_not_exists(PK)"
    if taking_over is not None:
        condition, values[":holder"] = "intercept_id = :holder", taking_over.id
    return {"Update": {"Key": to_item(keys.parcel(record.carrier, record.tracking_no)),
                       "UpdateExpression": "SET intercept_id = :id, platform_id = :platform ADD #seen :interceptions",
                       "ConditionExpression": condition,
                       "ExpressionAttributeNames": {"#seen": keys.PARCEL_INTERCEPTIONS},
                       "ExpressionAttributeValues": to_item(values)}}


def _newest_first_position(record: Intercept) -> tuple[str, str]:
    return record.created_at, record.id


def _parcel_cursor(tracking_no: str, last: Intercept) -> str:
    payload = json.dumps({"t": tracking_no, "after": list(_newest_first_position(last))}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode()


def _parcel_cursor_position(cursor: str, tracking_no: str) -> tuple[str, str]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        created_at, intercept_id = payload["after"]
        if payload["t"] != tracking_no or not isinstance(created_at, str) or not isinstance(intercept_id, str):
            raise ValueError
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError):
        raise InvalidCursor("not a cursor of this tracking number's listing") from None
    return created_at, intercept_id


def record_value(record: Intercept, name: str) -> str:
    """A record's field as the listing filters compare it (enums by their value)."""
    value = getattr(record, name)
    return value.value if hasattr(value, "value") else value


def _lease_until(now: datetime, lease_seconds: int) -> str:
    return to_iso(now + timedelta(seconds=lease_seconds))
