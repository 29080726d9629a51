"""200 interceptions against carriers that fail a lot: every one ends in a final or flagged state.

The simulator answers 30% of carrier calls with 5xx, 10% with a timeout (longer than the adapters'
read timeout) and 5% with a malformed body. Dispatch runs through real SQS queues (moto server),
the Dispatcher (with its circuit breaker) as the SQS handler runs it; results come back as signed
callbacks over HTTP. One gateway shard per carrier keeps moto's tables small (see local.inprocess).
"""
import time
from collections import Counter

import pytest

from chalicelib.api.auth import hash_key
from chalicelib.domain.models import InterceptStatus
from chalicelib.domain.requests import CreateInterceptRequest
from local.inprocess import API_KEY, Harness
from tests.simulator.test_every_protocol import CREDENTIALS

pytestmark = pytest.mark.integration

CARRIERS = ["zto", "yto", "sto", "jt", "sf"]
MAX_ATTEMPTS = 4
FINAL = {InterceptStatus.intercepted, InterceptStatus.failed, InterceptStatus.needs_attention}


@pytest.fixture
def harness():
    harness = Harness(
        credentials={code: CREDENTIALS[code] for code in CARRIERS},
        settings_overrides={"dispatch_max_attempts": MAX_ATTEMPTS, "dispatch_base_backoff_seconds": 1,
                            "dispatch_max_backoff_seconds": 2, "breaker_failure_threshold": 25,
                            "breaker_cooldown_seconds": 1},
        simulator_options={"error_rate": 0.30, "timeout_rate": 0.10, "malformed_rate": 0.05, "timeout_sleep": 0.6,
                           "callback_delay": 0.05, "callback_backoff": 0.05, "seed": 20261123},
        read_timeout=0.3, pumps_per_gateway=2, shards=True,
    ).start()
    yield harness
    harness.stop()


def test_two_hundred_interceptions_through_heavy_carrier_faults(harness):
    ids = {}
    for n in range(200):
        carrier = CARRIERS[n % len(CARRIERS)]
        gw = harness.gateways[carrier]
        platform = gw.store.platforms.for_key(hash_key(API_KEY))
        body = {"merchant_id": "demo-merchant", "order_id": f"o-{n}", "after_sale_id": f"as-{n}", "carrier": carrier,
                "tracking_no": f"FI{n:09d}", "refund_amount": 1999, "reason": "buyer asked for a refund",
                "parcel_stage": "in_transit"}  # go to the carrier whatever its tracking says
        ids[gw.intercepts.create(platform, f"fault-{n}", CreateInterceptRequest(**body)).body["id"]] = carrier
    created = time.monotonic()
    harness.run_pumps()

    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        statuses = {intercept_id: harness.gateways[carrier].store.intercepts.get(intercept_id).status
                    for intercept_id, carrier in ids.items()}
        if all(status in FINAL for status in statuses.values()):
            break
        time.sleep(0.5)

    counts = Counter(status.value for status in statuses.values())
    print(f"\nfinal statuses: {dict(counts)} after {time.monotonic() - created:.1f} s of dispatching")
    assert set(statuses.values()) <= FINAL, f"stuck: {dict(counts)}"
    for intercept_id, carrier in ids.items():
        record = harness.gateways[carrier].store.intercepts.get(intercept_id)
        submissions = harness.simulator.submissions(carrier, intercept_id, record.tracking_no)
        assert submissions <= MAX_ATTEMPTS, (intercept_id, submissions)
        assert record.dispatch_attempts <= MAX_ATTEMPTS
        if record.status == InterceptStatus.needs_attention:
            assert record.last_error and record.dispatch_attempts == MAX_ATTEMPTS
    # the faults really happened and every path was taken
    assert counts["needs_attention"] > 0 and counts["intercepted"] > 0 and counts["failed"] > 0
