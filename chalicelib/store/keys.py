"""Every key shape in the single table and its indexes: one place that knows them.

Item keys are dicts of `PK`/`SK`; index entries are dicts of the GSI attributes an item carries so
that an index lists it (see chalicelib/store/schema.py and docs/data-model.md).

Every component that comes from outside (platform and merchant ids, idempotency keys, tracking
numbers, carriers' event ids) goes through `part`, which percent-encodes `#` (the separator) and
`%` itself: no two distinct tuples of components build the same key, whatever a tenant sends.
Components made only of letters, digits and `_.:-~` (every id the API accepts) are unchanged.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from urllib.parse import quote, unquote


def part(component: str) -> str:
    """A key component that cannot forge another key: `#` and `%` (and anything outside
    letters, digits and `_.:-~`) percent-encoded, so the encoding is one-to-one."""
    return quote(component, safe=":")

# -- items ------------------------------------------------------------------------------------


#: Every platform tenant is an item of this one partition (few, read by operators and the daily export).
PLATFORMS = "PLATFORMS"


def platform(platform_id: str) -> dict:
    return {"PK": PLATFORMS, "SK": part(platform_id)}


def api_key(key_hash: str) -> dict:
    return {"PK": f"APIKEY#{key_hash}", "SK": "APIKEY"}


OPERATOR_KEY_PREFIX = "OPERATORKEY#"


def operator_key(key_hash: str) -> dict:
    """An operator's key: its own item kind, so no platform route ever finds it (and the reverse)."""
    return {"PK": f"{OPERATOR_KEY_PREFIX}{key_hash}", "SK": "OPERATORKEY"}


def merchant(platform_id: str, merchant_id: str) -> dict:
    return {"PK": f"PLATFORM#{part(platform_id)}#MERCHANT#{part(merchant_id)}", "SK": "SETTINGS"}


def intercept(intercept_id: str) -> dict:
    return {"PK": f"INTERCEPT#{part(intercept_id)}", "SK": "META"}


def after_sale(platform_id: str, after_sale_id: str) -> dict:
    """An after-sale of several parcels: one small item holding their standing and the refund track."""
    return {"PK": f"AFTERSALE#{part(platform_id)}#{part(after_sale_id)}", "SK": "AFTERSALE"}


AFTER_SALE_SK = "AFTERSALE"


def after_sale_deliveries_id(platform_id: str, after_sale_id: str) -> str:
    """The id an after-sale's webhook deliveries are kept under (the delivery store's `intercept_id`):
    no intercept id has a colon, and each component is fully encoded, so none collides."""
    return f"aftersale:{quote(platform_id, safe='')}:{quote(after_sale_id, safe='')}"


def intercept_event(intercept_id: str, at: str, unique: str) -> dict:
    return {"PK": f"INTERCEPT#{part(intercept_id)}", "SK": f"EVENT#{at}#{unique}"}


def tracking(intercept_id: str) -> dict:
    return {"PK": f"INTERCEPT#{part(intercept_id)}", "SK": TRACKING_SK}


#: An intercept's partition holds, in sort order: CARRIERTRACKING, CLAIM#..., EVENT#..., META,
#: WEBHOOK#...; reading `SK <= META` gets the record with its history, claims and tracking scans and
#: skips the webhook deliveries.
RECORD_WITH_HISTORY_UNTIL = "META"
TRACKING_SK = "CARRIERTRACKING"
EVENT_PREFIX = "EVENT#"
CLAIM_PREFIX = "CLAIM#"
DELIVERY_PREFIX = "WEBHOOK#"


def parcel(carrier: str, tracking_no: str) -> dict:
    """One physical parcel, whichever tenant asks: at most one interception claims it at a time, and
    the claim keeps every interception that ever held it (`PARCEL_INTERCEPTIONS`)."""
    return {"PK": f"PARCEL#{part(carrier)}#{part(tracking_no)}", "SK": "PARCEL"}


#: The parcel claim's attribute listing every interception of the parcel (see `parcel_interception`).
PARCEL_INTERCEPTIONS = "intercepts"


def parcel_interception(platform_id: str, intercept_id: str) -> str:
    """An entry of a parcel's interceptions: `<platform>#<intercept id>`, so one platform's are a prefix."""
    return f"{part(platform_id)}#{intercept_id}"


def idempotency(platform_id: str, key: str) -> dict:
    return {"PK": f"IDEMPOTENCY#{part(platform_id)}#{part(key)}", "SK": "IDEMPOTENCY"}


def delivery(intercept_id: str, message_id: str) -> dict:
    return {"PK": f"INTERCEPT#{part(intercept_id)}", "SK": f"{DELIVERY_PREFIX}{part(message_id)}"}


def delivery_of(key: dict) -> dict:
    """`delivery()` backwards: the intercept and message ids in a delivery's key."""
    return {"intercept_id": unquote(key["PK"].removeprefix("INTERCEPT#")),
            "id": unquote(key["SK"].removeprefix(DELIVERY_PREFIX))}


def claim(intercept_id: str, claim_id: str) -> dict:
    return {"PK": f"INTERCEPT#{part(intercept_id)}", "SK": f"{CLAIM_PREFIX}{part(claim_id)}"}


def webhook_endpoint(platform_id: str) -> dict:
    return {"PK": f"PLATFORM#{part(platform_id)}", "SK": "WEBHOOK"}


def circuit(carrier: str) -> dict:
    return {"PK": f"BREAKER#{part(carrier)}", "SK": "BREAKER"}


def fee_export_run(platform_id: str, period_label: str) -> dict:
    """A platform's fee export run of a period: the current one (running, assembling or published)."""
    return {"PK": f"FEEEXPORT#{part(platform_id)}#{part(period_label)}", "SK": "RUN"}


def fee_export_part(platform_id: str, period_label: str, run_id: str, part_name: str) -> dict:
    """The marker of a part counted done, in its run's partition: created with the count, so a
    redelivered part is counted once."""
    return {"PK": f"FEEEXPORT#{part(platform_id)}#{part(period_label)}", "SK": f"PART#{part(run_id)}#{part(part_name)}"}


def local_clock() -> dict:
    return {"PK": "LOCALCLOCK", "SK": "LOCALCLOCK"}


def merchant_counters(platform_id: str, merchant_id: str, shard: int) -> str:
    """A merchant's metrics counters, write-sharded (a counting run picks one shard; readers read
    every shard): its items are `counter_bucket`s."""
    return f"METRICS#{part(platform_id)}#MERCHANT#{part(merchant_id)}#{shard}"


#: Counter buckets: a UTC day (`D#2026-11-23#zto`) or hour (`H#2026-11-23T08#zto`) of creation,
#: then the carrier; a day's or hour's carriers are one sort-key range.
DAY_BUCKET, HOUR_BUCKET = "D", "H"


def counter_bucket(granularity: str, bucket: str, carrier: str) -> str:
    return f"{granularity}#{bucket}#{part(carrier)}"


def counted(first_sequence_number: str) -> dict:
    """The marker of a counting run of stream records that starts at this one: written in the same
    transaction as the run's counters, so a run counted once is refused when counted again."""
    return {"PK": f"COUNTED#run-{part(first_sequence_number)}", "SK": "COUNTED"}


# -- write sharding ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Shards:
    """How many partition-key values each write-sharded index spreads its writes over.

    DynamoDB serves at most 1,000 WCU/s per partition-key value; the design keeps each under half
    of that at the peak rate (docs/scale.md sizes them: shards >= rate x write units per
    interception on the partition / 500). Readers query every shard, so a count may grow later
    (entries already written stay in the lower shards) but never shrink.
    """

    listing: int = 32    # by_platform, charged: one entry written per interception
    busy: int = 64       # by_status, by_refund_status, open_work, refund_due, outbox: a put and a delete
    merchant: int = 8    # by_merchant: the busiest merchant's share of a platform's rate
    #: merchant metrics counters: every counting run touches its merchants' partitions once, and the
    #: busiest merchant is in nearly every run (docs/scale.md)
    metrics: int = 32

    @classmethod
    def for_rate(cls, creates_per_second: float) -> Shards:
        """Counts for a peak of `creates_per_second` from one platform (powers of two)."""
        def sized(units: float) -> int:
            return max(1, 1 << max(0, math.ceil(math.log2(max(1.0, creates_per_second * units / 500)))))
        return cls(listing=sized(1), busy=sized(2), merchant=sized(0.25), metrics=sized(1.6))


def shard_of(item_id: str, shards: int) -> int:
    """An even spread: the id's BLAKE2b hash, modulo the count (ids share their time prefix, so their
    bytes alone would not do)."""
    return int.from_bytes(hashlib.blake2b(item_id.encode(), digest_size=8).digest(), "big") % shards


# -- index partitions -------------------------------------------------------------------------

def by_platform(platform_id: str, shard: int) -> str:
    return f"PLATFORM#{part(platform_id)}#{shard}"


def by_merchant(platform_id: str, merchant_id: str, shard: int) -> str:
    return f"PLATFORM#{part(platform_id)}#MERCHANT#{part(merchant_id)}#{shard}"


def by_status(platform_id: str, status: str, shard: int) -> str:
    return f"PLATFORM#{part(platform_id)}#STATUS#{status}#{shard}"


def by_refund_status(platform_id: str, refund_status: str, shard: int) -> str:
    return f"PLATFORM#{part(platform_id)}#REFUND#{refund_status}#{shard}"


def charged(platform_id: str, shard: int) -> str:
    return f"CHARGED#{part(platform_id)}#{shard}"


def open_work(status: str, shard: int) -> str:
    return f"OPEN#{status}#{shard}"


def refund_due(shard: int) -> str:
    return f"DUE#{shard}"


def outbox(shard: int) -> str:
    return f"OUTBOX#{shard}"


#: Sorts after every `<time>#<id>` sort key that starts with the same time: `<= f"{now}{AFTER}"`
#: selects everything due at or before `now`.
AFTER = "#~"


def ordered(at: str, item_id: str) -> str:
    """An index sort key: a time, then the item id so equal times stay distinct and ordered."""
    return f"{at}#{item_id}"


# -- index entries (the GSI attributes an item carries) ----------------------------------------

def listing_entries(platform_id: str, merchant_id: str, intercept_id: str, shards: Shards) -> dict:
    """by_platform and by_merchant (sorted by the record's own `created_at`)."""
    return {"GSI1PK": by_platform(platform_id, shard_of(intercept_id, shards.listing)),
            "GSI2PK": by_merchant(platform_id, merchant_id, shard_of(intercept_id, shards.merchant))}


def status_entry(platform_id: str, status: str, intercept_id: str, shards: Shards) -> dict:
    return {"GSI6PK": by_status(platform_id, status, shard_of(intercept_id, shards.busy))}


def refund_status_entry(platform_id: str, refund_status: str, intercept_id: str, shards: Shards) -> dict:
    return {"GSI7PK": by_refund_status(platform_id, refund_status, shard_of(intercept_id, shards.busy))}


def open_work_entry(status: str, changed_at: str, intercept_id: str, shards: Shards) -> dict:
    return {"GSI3PK": open_work(status, shard_of(intercept_id, shards.busy)),
            "GSI3SK": ordered(changed_at, intercept_id)}


def refund_due_entry(intercept_id: str, shards: Shards) -> dict:
    """refund_due (sorted by the record's own `processing_deadline`)."""
    return {"GSI4PK": refund_due(shard_of(intercept_id, shards.busy))}


def charged_entry(platform_id: str, intercept_id: str, shards: Shards) -> dict:
    """charged (sorted by the record's own `charged_at`)."""
    return {"GSI5PK": charged(platform_id, shard_of(intercept_id, shards.listing))}


def outbox_entry(message_id: str, due_at: str, shards: Shards) -> dict:
    return {"GSI3PK": outbox(shard_of(message_id, shards.busy)), "GSI3SK": ordered(due_at, message_id)}


OPEN_WORK_ATTRIBUTES = ("GSI3PK", "GSI3SK")
REFUND_DUE_ATTRIBUTES = ("GSI4PK",)
