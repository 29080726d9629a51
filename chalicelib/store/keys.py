"""Key builders for every entity in the single table: one place that knows the key shapes."""


def platform(platform_id: str) -> dict:
    return {"PK": f"PLATFORM#{platform_id}", "SK": "PLATFORM"}


def api_key(key_hash: str) -> dict:
    return {"PK": f"APIKEY#{key_hash}", "SK": "APIKEY"}


def merchant(platform_id: str, merchant_id: str) -> dict:
    return {"PK": f"PLATFORM#{platform_id}#MERCHANT#{merchant_id}", "SK": "SETTINGS"}


def intercept(intercept_id: str) -> dict:
    return {"PK": f"INTERCEPT#{intercept_id}", "SK": "META"}


def intercept_event(intercept_id: str, at: str, unique: str) -> dict:
    return {"PK": f"INTERCEPT#{intercept_id}", "SK": f"EVENT#{at}#{unique}"}


def parcel(platform_id: str, carrier: str, tracking_no: str) -> dict:
    return {"PK": f"PARCEL#{platform_id}#{carrier}#{tracking_no}", "SK": "PARCEL"}


def idempotency(platform_id: str, key: str) -> dict:
    return {"PK": f"IDEMPOTENCY#{platform_id}#{key}", "SK": "IDEMPOTENCY"}


def callback_receipt(carrier: str, event_id: str) -> dict:
    return {"PK": f"CALLBACK#{carrier}#{event_id}", "SK": "CALLBACK"}


def by_platform(platform_id: str) -> str:
    return f"PLATFORM#{platform_id}"


def by_merchant(platform_id: str, merchant_id: str) -> str:
    return f"PLATFORM#{platform_id}#MERCHANT#{merchant_id}"


def charged(platform_id: str) -> str:
    return f"CHARGED#{platform_id}"


#: Platform items are also listed under this partition of the by_platform index.
PLATFORMS = "PLATFORMS"


def open_work(status: str) -> str:
    return f"OPEN#{status}"


# -- after-sale: refund deadlines, webhook outbox, endpoints, claims, the local clock ----------

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


def delivery(intercept_id: str, message_id: str) -> dict:
    return {"PK": f"INTERCEPT#{intercept_id}", "SK": f"WEBHOOK#{message_id}"}


def delivery_of(key: dict) -> dict:
    """`delivery()` backwards: the intercept and message ids in a delivery's key."""
    return {"intercept_id": key["PK"].removeprefix("INTERCEPT#"), "id": key["SK"].removeprefix("WEBHOOK#")}


def claim(intercept_id: str, claim_id: str) -> dict:
    return {"PK": f"INTERCEPT#{intercept_id}", "SK": f"CLAIM#{claim_id}"}


def webhook_endpoint(platform_id: str) -> dict:
    return {"PK": f"PLATFORM#{platform_id}", "SK": "WEBHOOK"}


def local_clock() -> dict:
    return {"PK": "LOCALCLOCK", "SK": "LOCALCLOCK"}
