"""The dispatch worker run the way Lambda runs it: real SQS messages from moto, delivered by the
local pump to the app's handler, with a scripted carrier."""
import json

import boto3
import pytest

import app as app_module
from chalicelib.carriers.base import CarrierAccountFault, CarrierResult, CarrierUnavailable, SubmitOutcome
from chalicelib.dispatch.worker import RetryPolicy
from chalicelib.domain.models import InterceptStatus
from chalicelib.schedules.requeue_unsent import requeue_unsent
from local.pump import QueuePump
from tests.conftest import auth, intercept_body, post_intercept


@pytest.fixture
def pump(gw):
    return QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0)


def queue_counts(gw, queue: str) -> tuple[int, int]:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=gw.queues.url(queue),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def make_visible(gw, queue: str | None = None) -> None:
    """End the backoff now rather than waiting it out (moto counts visibility on the wall clock):
    each message the worker pushed back, checked to be hidden for no longer than the settings'
    longest backoff, becomes visible; then receive them back and leave them visible, as a receive
    waiting out the backoff did (the receive count moves as it did)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.utils import unix_time_millis
    from moto.sqs.models import sqs_backends

    name = queue or gw.settings.dispatch_queue
    sqs = boto3.client("sqs")
    moto_queue = sqs_backends[DEFAULT_ACCOUNT_ID][sqs.meta.region_name].get_queue(name)
    now = unix_time_millis()
    for message in list(moto_queue._messages):
        if not message.visible:
            assert message.visible_at - now <= (gw.settings.dispatch_max_backoff_seconds + 1) * 1000
            message.visible_at = 0.0
    sqs.receive_message(QueueUrl=gw.queues.url(name), MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0)


def create(client, tracking_no="ZT1000000003", key="idem-1") -> str:
    response = post_intercept(client, intercept_body(tracking_no=tracking_no), idempotency_key=key)
    assert response.status_code == 202
    return json.loads(response.body)["id"]


def test_an_accepted_submission_moves_the_intercept_to_submitted(client, gw, pump, carrier):
    intercept_id = create(client)
    assert pump.run_once() == 1
    record = gw.store.intercepts.get_with_history(intercept_id)
    assert record.status == InterceptStatus.submitted
    assert record.carrier_ref == "ref-ZT1000000003"
    assert [event.source for event in record.events] == ["api", "carrier"]
    assert [order.callback_url for order in carrier.submitted] == ["http://gateway.test/callbacks/zto"]
    assert queue_counts(gw, gw.settings.dispatch_queue) == (0, 0)


def test_a_refusal_fails_the_intercept_with_the_carriers_reason(client, gw, pump, carrier):
    carrier.script = [SubmitOutcome(CarrierResult.failed, reason_code="parcel_signed", message="SIGNED: signed")]
    intercept_id = create(client)
    pump.run_once()
    record = gw.store.intercepts.get(intercept_id)
    assert (record.status, record.result_reason) == (InterceptStatus.failed, "parcel_signed")


def test_a_transient_failure_keeps_the_message_and_backs_off(client, gw, pump, carrier):
    carrier.script = [CarrierUnavailable("HTTP 503")]
    intercept_id = create(client)
    pump.run_once()
    record = gw.store.intercepts.get(intercept_id)
    assert record.status == InterceptStatus.pending
    assert (record.dispatch_attempts, record.last_error) == (1, "HTTP 503")
    assert queue_counts(gw, gw.settings.dispatch_queue) == (0, 1)  # still there, invisible for the backoff
    make_visible(gw)
    pump.run_once()
    record = gw.store.intercepts.get(intercept_id)
    assert (record.status, record.dispatch_attempts, record.last_error) == (InterceptStatus.submitted, 2, None)
    assert len(carrier.submitted) == 2


def test_after_the_last_attempt_the_intercept_needs_attention_and_the_message_is_dead_lettered(
        client, gw, pump, carrier):
    carrier.script = [CarrierUnavailable("timeout")] * 3
    intercept_id = create(client)
    for _ in range(3):
        pump.run_once()
        make_visible(gw)
    record = gw.store.intercepts.get_with_history(intercept_id)
    assert record.status == InterceptStatus.needs_attention
    assert record.last_error == "timeout"
    assert "after 3 attempts" in record.events[-1].reason
    assert len(carrier.submitted) == 3
    assert queue_counts(gw, gw.settings.dispatch_queue) == (0, 0)
    dead = boto3.client("sqs").receive_message(QueueUrl=gw.queues.url("intercept-dispatch-dlq"))["Messages"]
    assert json.loads(dead[0]["Body"])["intercept_id"] == intercept_id


def test_a_refusal_of_our_account_needs_attention_at_once_naming_the_code(client, gw, pump, carrier):
    """ZTO's E4xx / S2xx (IP, permission, signature): not the parcel's problem, and no retry helps."""
    carrier.script = [CarrierAccountFault("ZTO refused the call with S212 (IP not on the allow-list): x", "S212")]
    intercept_id = create(client)
    pump.run_once()
    record = gw.store.intercepts.get_with_history(intercept_id)
    assert (record.status, record.result_reason) == (InterceptStatus.needs_attention, None)
    assert "S212" in record.events[-1].reason and "S212" in record.last_error
    assert len(carrier.submitted) == 1 and record.dispatch_lease_until is None
    assert queue_counts(gw, gw.settings.dispatch_queue) == (0, 0)
    dead = boto3.client("sqs").receive_message(QueueUrl=gw.queues.url("intercept-dispatch-dlq"))["Messages"]
    assert json.loads(dead[0]["Body"])["intercept_id"] == intercept_id


def test_duplicate_deliveries_call_the_carrier_once(client, gw, carrier):
    # One message per batch: moto's in-process DynamoDB does not make concurrent conditional
    # writes atomic the way DynamoDB (and the local stack's serialised moto server) does.
    pump = QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, batch_size=1,
                     wait_seconds=0)
    intercept_id = create(client)
    gw.queues.send(gw.settings.dispatch_queue, {"intercept_id": intercept_id, "action": "intercept"})
    while pump.run_once():
        pass
    assert len(carrier.submitted) == 1
    assert gw.store.intercepts.get(intercept_id).status == InterceptStatus.submitted


def test_a_cancelled_intercept_is_never_sent(client, gw, pump, carrier):
    intercept_id = create(client)
    client.http.post(f"/v1/intercepts/{intercept_id}/cancel", headers=auth(), body="{}")
    pump.run_once()
    assert carrier.submitted == []
    assert queue_counts(gw, gw.settings.dispatch_queue) == (0, 0)


def test_an_unreadable_message_fails_alone(gw, pump, client, carrier):
    intercept_id = create(client)
    boto3.client("sqs").send_message(QueueUrl=gw.queues.url(gw.settings.dispatch_queue), MessageBody="garbage")
    while pump.run_once():
        pass
    assert gw.store.intercepts.get(intercept_id).status == InterceptStatus.submitted
    assert queue_counts(gw, gw.settings.dispatch_queue)[1] == 1  # the bad one waits for its DLQ


def test_a_lost_enqueue_is_sent_again_by_the_requeue_sweep(client, gw, pump, carrier, clock, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("SQS unavailable")

    monkeypatch.setattr(gw.queues, "send", refuse)
    intercept_id = create(client)
    monkeypatch.undo()
    assert pump.run_once() == 0
    assert requeue_unsent(gw.store.intercepts, gw.queues, clock, gw.settings.dispatch_queue, older_than_seconds=120) == 0
    clock.advance(minutes=3)
    assert requeue_unsent(gw.store.intercepts, gw.queues, clock, gw.settings.dispatch_queue, older_than_seconds=120) == 1
    pump.run_once()
    assert gw.store.intercepts.get(intercept_id).status == InterceptStatus.submitted


@pytest.mark.parametrize("attempt, low, high", [(1, 1, 2), (2, 2, 4), (3, 4, 8), (10, 150, 300)])
def test_backoff_grows_exponentially_with_jitter_and_a_cap(attempt, low, high):
    policy = RetryPolicy(base_seconds=2, max_seconds=300)
    assert policy.backoff(attempt, rand=lambda a, b: a) == low
    assert policy.backoff(attempt, rand=lambda a, b: b) == high


def test_the_fee_the_carrier_says_it_charges_is_the_fee_fixed_on_the_result(client, gw, pump, carrier):
    from chalicelib.domain.models import EventSource

    carrier.script = [SubmitOutcome(CarrierResult.accepted, carrier_ref="CUS-1", fee=650)]
    intercept_id = create(client)
    pump.run_once()
    record = gw.store.intercepts.get(intercept_id)
    assert (record.status, record.carrier_fee) == (InterceptStatus.submitted, 650)
    gw.carrier_results.apply(intercept_id, CarrierResult.intercepted, source=EventSource.carrier, reason="done")
    record = gw.store.intercepts.get(intercept_id)
    assert record.fee["amount"] == 650 and record.fee_quote["amount"] != 650
