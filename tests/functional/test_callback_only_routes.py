"""A route that publishes neither a withdrawal nor a status query (kuaidi100): results only by callback."""
import json

import boto3
import pytest

import app as app_module
from chalicelib.carriers.base import CarrierResult
from chalicelib.domain.models import EventSource, InterceptStatus
from chalicelib.schedules.poll_overdue import poll_overdue_results
from local.pump import QueuePump
from tests.conftest import auth, give_account
from tests.functional.test_dispatch_worker import create


@pytest.fixture
def pump(gw):
    return QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0)


@pytest.fixture
def carrier(carrier):
    """ZTO reached through kuaidi100, which can neither withdraw nor be asked."""
    carrier.route, carrier.can_withdraw, carrier.can_poll = "kuaidi100", False, False
    return carrier


@pytest.fixture(autouse=True)
def merchant_account(gw):
    give_account(gw)


def cancel(client, intercept_id):
    return client.http.post(f"/v1/intercepts/{intercept_id}/cancel", headers=auth(), body='{"reason":"changed mind"}')


def poll(gw, clock, deadline=3600):
    return poll_overdue_results(gw.store.intercepts, gw.adapters, gw.carrier_results, clock, gw.settings.callback_url,
                                older_than_seconds=600, callback_deadline_seconds=deadline)


def test_a_cancel_after_submission_is_refused_as_carrier_cannot_withdraw(client, gw, pump, carrier):
    intercept_id = create(client)
    pump.run_once()
    assert gw.store.intercepts.get(intercept_id).via == "kuaidi100"
    response = cancel(client, intercept_id)
    assert response.status_code == 409
    assert json.loads(response.body)["error"]["code"] == "carrier_cannot_withdraw"
    assert gw.store.intercepts.get(intercept_id).status == InterceptStatus.submitted
    assert carrier.cancelled == []


def test_a_cancel_before_any_carrier_call_still_cancels_at_once(client, gw, carrier):
    intercept_id = create(client)
    response = cancel(client, intercept_id)
    assert response.status_code == 200 and json.loads(response.body)["status"] == "cancelled"


def test_polling_skips_it_and_a_missing_callback_needs_attention_after_the_deadline(client, gw, pump, carrier, clock):
    intercept_id = create(client)
    pump.run_once()
    clock.advance(minutes=11)
    assert poll(gw, clock) == {"polled": 0, "applied": 0, "unchanged": 0, "skipped": 1, "callback_overdue": 0, "scans_kept": 0}
    assert carrier.queried == []
    clock.advance(minutes=50)
    assert poll(gw, clock)["callback_overdue"] == 1
    record = gw.store.intercepts.get_with_history(intercept_id)
    assert record.status == InterceptStatus.needs_attention
    assert "only by callback" in record.events[-1].reason and record.events[-1].source == "schedule"
    assert poll(gw, clock)["callback_overdue"] == 0  # needs_attention is not polled again

    # the callback that comes late still decides
    applied = gw.carrier_results.apply(intercept_id, CarrierResult.intercepted, source=EventSource.carrier,
                                       reason="拦截成功")
    assert applied == "applied" and gw.store.intercepts.get(intercept_id).status == InterceptStatus.intercepted
