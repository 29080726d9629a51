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
        assert keys.by_merchant(platform_a, merchant_a) != keys.by_merchant(platform_b, merchant_b)
    assert keys.by_platform(platform_a) != keys.by_merchant(platform_b, merchant_b)


def test_the_separator_in_a_platform_id_does_not_reach_another_tenants_key():
    """The collision this guards against: platform `p#x` with key `k` against platform `p` with key `x#k`."""
    assert keys.idempotency("p#x", "k") != keys.idempotency("p", "x#k")
    assert keys.idempotency("p%23x", "k") != keys.idempotency("p#x", "k")


def test_ids_the_api_accepts_are_stored_as_they_are():
    assert keys.idempotency("plat-a", "order:1_retry.2") == {"PK": "IDEMPOTENCY#plat-a#order:1_retry.2",
                                                          "SK": "IDEMPOTENCY"}
    assert keys.delivery_of(keys.delivery("icp_1", "msg#1")) == {"intercept_id": "icp_1", "id": "msg#1"}
