"""The lifecycle makes no more AWS calls than docs/costs.md says it needs, and its writes stay small.

Runs the cost model's lifecycle (create, dispatch, callback, webhooks) for a few interceptions and
compares the gateway's own calls per interception, step by step, with `MINIMUM_CALLS`. A change
that adds a read before a write, drops a batch or adds a call fails here with the step named.
"""
import pytest

from bench import lifecycle_cost

COUNT = 20  # two SQS batches of 10 per step


@pytest.fixture(scope="module")
def figures():
    return lifecycle_cost.costs(lifecycle_cost.run(COUNT))


@pytest.mark.parametrize("step", list(lifecycle_cost.MINIMUM_CALLS))
def test_each_step_makes_only_the_calls_it_needs(figures, step):
    own = lifecycle_cost.gateway_calls(step, figures["calls_per_intercept"][step])
    assert own == pytest.approx(lifecycle_cost.MINIMUM_CALLS[step])


def test_every_webhook_is_delivered_within_the_write_budget(figures):
    assert figures["webhooks_delivered_per_intercept"] == 4
    # 43.9 (26.9 table + 17 index, docs/costs.md); more than that fails.
    assert figures["write_units_per_intercept"] <= 43.9
    assert figures["lambda_invocations_per_intercept"]["dispatch"] == pytest.approx(0.1)
