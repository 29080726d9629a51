"""No two distinct tuples of key components build the same DynamoDB key: a tenant cannot forge a
key of another tenant's item by putting the separator in an id or an Idempotency-Key."""
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.store import keys

components = st.text(min_size=1, max_size=12)


@given(components, components, components, components)
def test_idempotency_keys_of_distinct_tenants_and_keys_never_collide(platform_a, key_a, platform_b, key_b):
    if (platform_a, key_a) != (platform_b, key_b):
        assert keys.idempotency(platform_a, key_a) != keys.idempotency(platform_b, key_b)


@given(components, components, components, components)
def test_merchant_keys_and_listings_never_collide(platform_a, merchant_a, platform_b, merchant_b):
    if (platform_a, merchant_a) != (platform_b, merchant_b):
        assert keys.merchant(platform_a, merchant_a) != keys.merchant(platform_b, merchant_b)
        assert keys.by_merchant(platform_a, merchant_a, 0) != keys.by_merchant(platform_b, merchant_b, 0)
    assert keys.by_platform(platform_a, 0) != keys.by_merchant(platform_b, merchant_b, 0)


def test_the_separator_in_a_platform_id_does_not_reach_another_tenants_key():
    """The collision this guards against: platform `p#x` with key `k` against platform `p` with key `x#k`."""
    assert keys.idempotency("p#x", "k") != keys.idempotency("p", "x#k")
    assert keys.idempotency("p%23x", "k") != keys.idempotency("p#x", "k")


def test_ids_the_api_accepts_are_stored_as_they_are():
    assert keys.idempotency("plat-a", "order:1_retry.2") == {"PK": "IDEMPOTENCY#plat-a#order:1_retry.2",
                                                          "SK": "IDEMPOTENCY"}
    assert keys.delivery_of(keys.delivery("icp_1", "msg#1")) == {"intercept_id": "icp_1", "id": "msg#1"}


def test_the_shard_function_spreads_ids_evenly():
    """Ids share their time prefix (ULIDs): every shard gets its share, within a few percent."""
    from chalicelib.clock import new_id

    counts = [0] * 64
    for _ in range(64_000):
        counts[keys.shard_of(new_id("icp"), 64)] += 1
    assert max(counts) < 1.15 * 1000 and min(counts) > 0.85 * 1000


def test_shard_counts_are_sized_from_the_rate():
    sized = keys.Shards.for_rate(10_000)
    assert (sized.listing, sized.busy) == (32, 64)  # 1 and 2 write units per interception, under 500/s each
