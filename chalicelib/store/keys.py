"""Every key shape in the single table and its indexes: one place that knows them.

Item keys are dicts of `PK`/`SK`; index entries are dicts of the GSI attributes an item carries so
that an index lists it (see chalicelib/store/schema.py and docs/data-model.md).

Every component that comes from outside (platform and merchant ids, idempotency keys, tracking
numbers, carriers' event ids) goes through `part`, which percent-encodes `#` (the separator) and
`%` itself: no two distinct tuples of components build the same key, whatever a tenant sends.
Components made only of letters, digits and `_.:-~` (every id the API accepts) are unchanged.
"""
from __future__ import annotations

from urllib.parse import quote, unquote


def part(component: str) -> str:
    """A key component that cannot forge another key: `#` and `%` (and anything outside
    letters, digits and `_.:-~`) percent-encoded, so the encoding is one-to-one."""
    return quote(component, safe=":")

# -- items ------------------------------------------------------------------------------------


def platform(platform_id: str) -> dict:
    return {"PK": f"PLATFORM#{part(platform_id)}", "SK": "PLATFORM"}


def api_key(key_hash: str) -> dict:
    return {"PK": f"APIKEY#{key_hash}", "SK": "APIKEY"}


def merchant(platform_id: str, merchant_id: str) -> dict:
    return {"PK": f"PLATFORM#{part(platform_id)}#MERCHANT#{part(merchant_id)}", "SK": "SETTINGS"}


def intercept(intercept_id: str) -> dict:
    return {"PK": f"INTERCEPT#{part(intercept_id)}", "SK": "META"}


def intercept_event(intercept_id: str, at: str, unique: str) -> dict:
    return {"PK": f"INTERCEPT#{part(intercept_id)}", "SK": f"EVENT#{at}#{unique}"}


#: An intercept's partition holds, in sort order: CLAIM#..., EVENT#..., META, WEBHOOK#...; reading
#: `SK <= META` gets the record with its history and claims and skips the webhook deliveries.
RECORD_WITH_HISTORY_UNTIL = "META"
EVENT_PREFIX = "EVENT#"
CLAIM_PREFIX = "CLAIM#"
DELIVERY_PREFIX = "WEBHOOK#"


def parcel(carrier: str, tracking_no: str) -> dict:
    """One physical parcel, whichever tenant asks: at most one interception claims it."""
    return {"PK": f"PARCEL#{part(carrier)}#{part(tracking_no)}", "SK": "PARCEL"}


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


def local_clock() -> dict:
    return {"PK": "LOCALCLOCK", "SK": "LOCALCLOCK"}


# -- index partitions -------------------------------------------------------------------------

def by_platform(platform_id: str) -> str:
    return f"PLATFORM#{part(platform_id)}"


def by_merchant(platform_id: str, merchant_id: str) -> str:
    return f"PLATFORM#{part(platform_id)}#MERCHANT#{part(merchant_id)}"


def charged(platform_id: str) -> str:
    return f"CHARGED#{part(platform_id)}"


#: Platform items are also listed under this partition of the by_platform index.
PLATFORMS = "PLATFORMS"


def open_work(status: str) -> str:
    return f"OPEN#{status}"


#: Partitions of the due-deadline and outbox indexes. Every create and every refund decision
#: writes to them, so one partition would cap the table's write rate on one GSI partition; the
#: sweeps read every shard (one Query each), which costs a few requests and no extra items.
DUE_SHARDS = 4


def shard_of(item_id: str) -> int:
    return int.from_bytes(item_id.encode()[-4:], "big") % DUE_SHARDS


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

def listing_entries(platform_id: str, merchant_id: str, created_at: str, intercept_id: str) -> dict:
    created = ordered(created_at, intercept_id)
    return {"GSI1PK": by_platform(platform_id), "GSI1SK": created,
            "GSI2PK": by_merchant(platform_id, merchant_id), "GSI2SK": created}


def platform_listing_entry(platform_id: str) -> dict:
    return {"GSI1PK": PLATFORMS, "GSI1SK": platform_id}


def open_work_entry(status: str, changed_at: str, intercept_id: str) -> dict:
    return {"GSI3PK": open_work(status), "GSI3SK": ordered(changed_at, intercept_id)}


def refund_due_entry(deadline: str, intercept_id: str) -> dict:
    return {"GSI4PK": refund_due(shard_of(intercept_id)), "GSI4SK": ordered(deadline, intercept_id)}


def charged_entry(platform_id: str, charged_at: str, intercept_id: str) -> dict:
    return {"GSI5PK": charged(platform_id), "GSI5SK": ordered(charged_at, intercept_id)}


def outbox_entry(message_id: str, due_at: str) -> dict:
    return {"GSI3PK": outbox(shard_of(message_id)), "GSI3SK": ordered(due_at, message_id)}


OPEN_WORK_ATTRIBUTES = ("GSI3PK", "GSI3SK")
REFUND_DUE_ATTRIBUTES = ("GSI4PK", "GSI4SK")
