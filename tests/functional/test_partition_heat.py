"""At 10,000 interceptions a second from one platform (its top merchant a tenth of them), no
partition-key value of the table or of any index carries more than half of DynamoDB's limit
(bench/partition_heat.py measures; docs/scale.md sizes the shards)."""
import pytest

from bench import partition_heat


@pytest.fixture(scope="module")
def heat():
    return partition_heat.figures(rate=10_000, platforms=1, top_share=0.1, count=10)


def test_no_key_value_is_over_the_design_limit(heat):
    assert heat["hottest_wcu_per_s"] <= partition_heat.DESIGN_WCU, heat["hottest_key"]
    assert heat["hottest_rcu_per_s"] <= partition_heat.DESIGN_RCU, heat["hottest_key"]
    for place, entry in heat["per_index"].items():
        assert entry["hottest_wcu_per_s"] <= partition_heat.DESIGN_WCU, (place, entry)
        assert entry["hottest_rcu_per_s"] <= partition_heat.DESIGN_RCU, (place, entry)


def test_the_busy_indexes_are_written_across_their_shards(heat):
    """The measure itself: every sharded index is seen carrying load, spread over shard keys."""
    for index in ("by_platform", "by_status", "open_work", "refund_due", "charged", "by_merchant"):
        entry = heat["per_index"][index]
        assert entry["wcu_per_s"] > 0 and entry["hottest_write_key"].endswith("#<n>"), (index, entry)
