"""The local stack's moto server keeps DynamoDB's atomic conditional writes under concurrency."""
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from chalicelib.domain.models import InterceptStatus
from chalicelib.store import Store
from chalicelib.store.schema import create_table_params
from local.moto_server import LocalAws
from tests.conftest import START, put_record

pytestmark = pytest.mark.integration


@pytest.fixture
def local_store():
    aws = LocalAws()
    aws.start()
    client = boto3.client("dynamodb", endpoint_url=aws.endpoint, region_name="us-east-1")
    client.create_table(**create_table_params("race"))
    yield Store(client, "race")
    aws.stop()


def test_only_one_of_many_concurrent_workers_gets_the_dispatch_lease(local_store):
    from tests.functional.test_store_races import pending_intercept

    record = pending_intercept()
    put_record(local_store, record)
    with ThreadPoolExecutor(max_workers=32) as pool:
        claims = list(pool.map(lambda _: local_store.intercepts.claim_dispatch(record.id, START, 60), range(64)))
    winners = [claim for claim in claims if claim is not None]
    assert len(winners) == 1
    assert winners[0].status == InterceptStatus.pending
    assert winners[0].dispatch_attempts == 1
