"""Two deadline sweeps racing on the local stack's serialised DynamoDB apply each timeout once."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import boto3
import pytest

from chalicelib.clock import FixedClock, to_iso
from chalicelib.domain.models import RefundStatus
from chalicelib.schedules.refund_deadlines import sweep_refund_deadlines
from chalicelib.store import Store
from chalicelib.store.schema import create_table_params
from chalicelib.usecases.change_writer import ChangeWriter
from chalicelib.usecases.refund_decisions import RefundDecisions
from local.moto_server import LocalAws
from tests.conftest import START, put_record

pytestmark = pytest.mark.integration


@pytest.fixture
def local_store():
    aws = LocalAws()
    aws.start()
    client = boto3.client("dynamodb", endpoint_url=aws.endpoint, region_name="us-east-1")
    client.create_table(**create_table_params("refund-race"))
    yield Store(client, "refund-race")
    aws.stop()


def test_two_concurrent_sweeps_at_five_days_time_out_each_intercept_exactly_once(local_store):
    from tests.functional.test_store_races import pending_intercept

    ids = [f"icp_race{n:02d}" for n in range(12)]
    for intercept_id in ids:
        record = pending_intercept(intercept_id).model_copy(
            update={"processing_deadline": to_iso(START + timedelta(days=5))})
        put_record(local_store, record)
    clock = FixedClock(START + timedelta(days=5))
    both_read = threading.Barrier(2)
    intercepts = local_store.intercepts
    read_due = intercepts.due_refunds

    def read_then_wait(now, limit):  # both sweeps hold the same due items before either writes
        found = read_due(now, limit)
        both_read.wait(timeout=10)
        return found

    intercepts.due_refunds = read_then_wait
    decisions = RefundDecisions(intercepts, None, ChangeWriter(intercepts), clock)
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda _: sweep_refund_deadlines(intercepts, decisions, clock, batch=100), range(2)))
    assert [report.due for report in reports] == [len(ids), len(ids)]
    assert sum(report.timed_out for report in reports) == len(ids)
    for intercept_id in ids:
        stored = intercepts.get_with_history(intercept_id)
        assert stored.refund_status == RefundStatus.refund_timeout
        assert [event.to_refund_status for event in stored.events if event.to_refund_status] == ["refund_timeout"]
