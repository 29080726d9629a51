"""Runtime settings, read once from the environment (set by .chalice/config.json or the local stack)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache

#: Queue names are fixed so the deploy template and the code agree on them.
DISPATCH_QUEUE = "intercept-dispatch"
NOTIFY_QUEUE = "intercept-notify"
EXPORT_PARTS_QUEUE = "fee-export-parts"


@dataclass(frozen=True)
class Settings:
    stage: str
    table_name: str
    dispatch_queue: str
    notify_queue: str
    export_bucket: str
    public_base_url: str
    #: per carrier: base_url and credentials, e.g. {"zto": {"base_url": ..., "app_key": ...}}
    carriers: dict = field(default_factory=dict)
    dispatch_max_attempts: int = 5
    dispatch_base_backoff_seconds: int = 2
    dispatch_max_backoff_seconds: int = 300
    pending_requeue_after_seconds: int = 120
    poll_submitted_after_seconds: int = 600
    #: a route that answers only by callback (no status query): `needs_attention` after this long
    callback_deadline_seconds: int = 6 * 3600
    breaker_failure_threshold: int = 5
    breaker_cooldown_seconds: int = 30
    #: partition-key values per write-sharded index (chalicelib/store/keys.py::Shards; sized from the
    #: peak rate in docs/scale.md); only ever raised
    listing_shards: int = 32
    busy_shards: int = 64
    merchant_shards: int = 8
    metrics_shards: int = 32
    export_parts_queue: str = EXPORT_PARTS_QUEUE
    #: a fee export's part is one shard of the charged index over this long (docs/scale.md sizes it)
    export_slice_seconds: int = 600

    @property
    def is_local(self) -> bool:
        return self.stage == "local"

    def callback_url(self, carrier: str) -> str:
        return f"{self.public_base_url.rstrip('/')}/callbacks/{carrier}"


#: The table's stream, which the outbox relay reads. Deployed, the template points the relay's event
#: source at the table's own stream (infra/resources.py); this stands in for it where Chalice needs
#: an ARN to register the handler.
TABLE_STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/intercept-gateway/stream/set-by-the-template"


def dead_letter_queue(queue: str) -> str:
    return f"{queue}-dlq"


def _carrier_config() -> dict:
    raw = os.environ.get("CARRIER_CONFIG", "")
    path = os.environ.get("CARRIER_CONFIG_FILE", "")
    if not raw and path and os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            raw = handle.read()
    return json.loads(raw) if raw else {}


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ.get
    return Settings(
        stage=env("STAGE", "local"),
        table_name=env("TABLE_NAME", "intercept-gateway"),
        dispatch_queue=env("DISPATCH_QUEUE", DISPATCH_QUEUE),
        notify_queue=env("NOTIFY_QUEUE", NOTIFY_QUEUE),
        export_bucket=env("EXPORT_BUCKET", "intercept-gateway-exports"),
        public_base_url=env("PUBLIC_BASE_URL", "http://127.0.0.1:8000"),
        carriers=_carrier_config(),
        dispatch_max_attempts=int(env("DISPATCH_MAX_ATTEMPTS", "5")),
        dispatch_base_backoff_seconds=int(env("DISPATCH_BASE_BACKOFF_SECONDS", "2")),
        dispatch_max_backoff_seconds=int(env("DISPATCH_MAX_BACKOFF_SECONDS", "300")),
        pending_requeue_after_seconds=int(env("PENDING_REQUEUE_AFTER_SECONDS", "120")),
        poll_submitted_after_seconds=int(env("POLL_SUBMITTED_AFTER_SECONDS", "600")),
        callback_deadline_seconds=int(env("CALLBACK_DEADLINE_SECONDS", str(6 * 3600))),
        breaker_failure_threshold=int(env("BREAKER_FAILURE_THRESHOLD", "5")),
        breaker_cooldown_seconds=int(env("BREAKER_COOLDOWN_SECONDS", "30")),
        listing_shards=int(env("LISTING_SHARDS", "32")),
        busy_shards=int(env("BUSY_SHARDS", "64")),
        merchant_shards=int(env("MERCHANT_SHARDS", "8")),
        metrics_shards=int(env("METRICS_SHARDS", "32")),
        export_parts_queue=env("EXPORT_PARTS_QUEUE", EXPORT_PARTS_QUEUE),
        export_slice_seconds=int(env("EXPORT_SLICE_SECONDS", "600")),
    )
