"""A merchant's cancel reaches the carrier; overdue results are found by polling."""
import json

import boto3
import pytest

import app as app_module
from chalicelib.carriers.base import CancelOutcome, CarrierResult, CarrierUnavailable, SubmitOutcome
from chalicelib.domain.models import EventSource, InterceptStatus
from chalicelib.queues import QueueMessage
from chalicelib.schedules.poll_overdue import poll_overdue_results
from local.pump import QueuePump
from tests.conftest import auth
from tests.functional.test_dispatch_worker import create, make_visible, queue_counts


@pytest.fixture
def pump(gw):
    return QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0)


def cancel(client, intercept_id, expected_status: int = 202):
    """202: the carrier holds (or may hold) the instruction, so the cancel is a request to it."""
    response = client.http.post(f"/v1/intercepts/{intercept_id}/cancel", headers=auth(), body='{"reason":"buyer changed mind"}')
    assert response.status_code == expected_status, response.body
    return json.loads(response.body)


def submitted(client, pump) -> str:
    intercept_id = create(client)
    pump.run_once()
    return intercept_id


def test_cancelling_a_submitted_intercept_is_a_request_until_the_carrier_withdraws_it(client, gw, pump, carrier):
    intercept_id = submitted(client, pump)
    assert cancel(client, intercept_id)["status"] == "cancel_requested"
    assert pump.run_once() == 1
    [order] = carrier.cancelled
    assert (order.intercept_id, order.carrier_ref) == (intercept_id, "ref-ZT1000000003")
    record = gw.store.intercepts.get_with_history(intercept_id)
    assert (record.status, record.carrier_cancel) == (InterceptStatus.cancelled, "withdrawn")
    assert [event.to_status for event in record.events][-2:] == ["cancel_requested", "cancelled"]
    assert queue_counts(gw, gw.settings.dispatch_queue) == (0, 0)


def test_a_carrier_that_already_acted_refuses_the_withdrawal_and_its_result_is_applied(client, gw, pump, carrier):
    carrier.cancel_script = [CancelOutcome(False, reason_code="already_intercepted", message="已拦截")]
    carrier.query_script = [SubmitOutcome(CarrierResult.intercepted, message="拦截成功")]
    intercept_id = submitted(client, pump)
    cancel(client, intercept_id)
    pump.run_once()
    record = gw.store.intercepts.get(intercept_id)
    assert record.status == InterceptStatus.intercepted  # the parcel is stopped: the record says so
    assert record.fee is not None and record.refund_status == "refund_auto"


def test_a_refused_withdrawal_without_a_result_yet_waits_for_the_carrier(client, gw, pump, carrier):
    """"Not found" for an instruction the carrier accepted is no proof it is gone: it acted on it."""
    carrier.cancel_script = [CancelOutcome(False, reason_code="intercept_not_found", message="nothing to cancel")]
    intercept_id = submitted(client, pump)
    cancel(client, intercept_id)
    pump.run_once()
    record = gw.store.intercepts.get(intercept_id)
    assert (record.status, record.carrier_cancel) == (InterceptStatus.cancel_requested,
                                                      "refused: intercept_not_found")
    gw.carrier_results.apply(intercept_id, CarrierResult.intercepted, source=EventSource.carrier)
    assert gw.store.intercepts.get(intercept_id).status == InterceptStatus.intercepted


def test_an_instruction_the_carrier_never_took_is_cancelled_when_it_says_not_found(client, gw, pump, carrier):
    carrier.script = [CarrierUnavailable("timeout")]  # the only call may or may not have reached it
    carrier.cancel_script = [CancelOutcome(False, reason_code="intercept_not_found", message="nothing to cancel")]
    intercept_id = create(client)
    pump.run_once()
    assert cancel(client, intercept_id)["status"] == "cancel_requested"
    received_withdrawal = received(gw, "cancel")
    assert gw.dispatcher.process(received_withdrawal[0]) is True
    record = gw.store.intercepts.get(intercept_id)
    assert (record.status, record.carrier_cancel) == (InterceptStatus.cancelled, "not_at_carrier")


def test_a_cancel_before_any_carrier_call_sends_nothing_to_the_carrier(client, gw, pump, carrier):
    intercept_id = create(client)
    assert cancel(client, intercept_id, expected_status=200)["status"] == "cancelled"
    while pump.run_once():
        pass
    assert (carrier.submitted, carrier.cancelled) == ([], [])


def test_a_cancel_the_carrier_cannot_take_is_retried_then_left_unconfirmed(client, gw, pump, carrier):
    carrier.cancel_script = [CarrierUnavailable("HTTP 503")] * 3
    intercept_id = submitted(client, pump)
    cancel(client, intercept_id)
    for _ in range(3):
        pump.run_once()
        make_visible(gw)
    assert len(carrier.cancelled) == 3  # max_attempts in the test settings
    record = gw.store.intercepts.get(intercept_id)
    assert (record.status, record.carrier_cancel) == (InterceptStatus.cancel_requested, "unconfirmed: HTTP 503")
    dead = boto3.client("sqs").receive_message(QueueUrl=gw.queues.url("intercept-dispatch-dlq"))["Messages"]
    assert json.loads(dead[0]["Body"])["action"] == "cancel"


def test_a_duplicate_cancel_message_calls_the_carrier_once(client, gw, pump, carrier):
    intercept_id = submitted(client, pump)
    cancel(client, intercept_id)
    gw.queues.send(gw.settings.dispatch_queue, {"intercept_id": intercept_id, "action": "cancel"})
    one_at_a_time = QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, batch_size=1,
                              wait_seconds=0)  # moto in-process: no concurrent conditional writes
    while one_at_a_time.run_once():
        pass
    assert len(carrier.cancelled) == 1


# --- polling -----------------------------------------------------------------------------------

def poll(gw, clock):
    return poll_overdue_results(gw.store.intercepts, gw.adapters, gw.carrier_results, clock, gw.settings.callback_url,
                                older_than_seconds=600)


def test_only_intercepts_overdue_for_a_callback_are_polled(client, gw, pump, carrier, clock):
    submitted(client, pump)
    assert poll(gw, clock)["polled"] == 0
    clock.advance(minutes=11)
    assert poll(gw, clock) == {"polled": 1, "applied": 0, "unchanged": 1, "skipped": 0, "callback_overdue": 0, "scans_kept": 0}
    assert carrier.queried[0].carrier_ref == "ref-ZT1000000003"


def test_a_result_learned_by_polling_is_applied_like_a_callback(client, gw, pump, carrier, clock):
    intercept_id = submitted(client, pump)
    clock.advance(minutes=11)
    carrier.query_script = [SubmitOutcome(CarrierResult.failed, reason_code="parcel_out_for_delivery", message="已派件")]
    assert poll(gw, clock)["applied"] == 1
    record = gw.store.intercepts.get_with_history(intercept_id)
    assert (record.status, record.result_reason) == (InterceptStatus.failed, "parcel_out_for_delivery")
    assert record.events[-1].source == EventSource.schedule
    assert poll(gw, clock)["polled"] == 0  # no longer submitted: out of the sparse index


def test_a_carrier_that_cannot_answer_is_skipped_until_the_next_run(client, gw, pump, carrier, clock):
    intercept_id = submitted(client, pump)
    clock.advance(minutes=11)
    carrier.query_script = [CarrierUnavailable("timeout")]
    assert poll(gw, clock)["skipped"] == 1
    assert gw.store.intercepts.get(intercept_id).status == InterceptStatus.submitted
    carrier.query_script = [SubmitOutcome(CarrierResult.intercepted)]
    assert poll(gw, clock)["applied"] == 1


def test_the_schedule_is_wired(gw, client, pump, carrier, clock):
    intercept_id = submitted(client, pump)
    clock.advance(minutes=11)
    carrier.query_script = [SubmitOutcome(CarrierResult.intercepted)]
    from local.lambda_events import LocalContext, scheduled_event

    app_module.poll_overdue_carrier_results(scheduled_event("arn:aws:events:us-east-1:1:rule/poll", "us-east-1"),
                                            LocalContext("poll"))
    assert gw.store.intercepts.get(intercept_id).status == InterceptStatus.intercepted


def received(gw, action: str) -> list[QueueMessage]:
    """The visible dispatch messages for `action`, as the worker gets them (others stay invisible)."""
    answer = boto3.client("sqs").receive_message(QueueUrl=gw.queues.url(gw.settings.dispatch_queue),
                                                 MaxNumberOfMessages=10, VisibilityTimeout=30)
    return [QueueMessage(message["MessageId"], message["ReceiptHandle"], message["Body"])
            for message in answer.get("Messages", []) if json.loads(message["Body"])["action"] == action]


def test_a_withdrawal_waits_for_a_submission_still_in_flight(client, gw, carrier, clock):
    intercept_id = create(client)
    assert gw.store.intercepts.claim_dispatch(intercept_id, clock.now(), 60) is not None  # a worker is calling the carrier
    cancel(client, intercept_id)
    [withdrawal] = received(gw, "cancel")
    assert gw.dispatcher.process(withdrawal) is False  # held back: it could overtake the instruction
    assert carrier.cancelled == []
    clock.advance(seconds=61)  # the submitting worker's lease is over
    assert gw.dispatcher.process(withdrawal) is True
    assert [order.intercept_id for order in carrier.cancelled] == [intercept_id]
    assert gw.store.intercepts.get(intercept_id).carrier_cancel == "withdrawn"


def test_a_cancel_during_the_carrier_call_is_withdrawn_at_the_carrier_once(client, gw, pump, carrier, clock,
                                                                          monkeypatch):
    intercept_id = create(client)
    answer = carrier.submit_intercept

    def merchant_cancels_meanwhile(order):
        cancel(client, intercept_id)
        return answer(order)

    monkeypatch.setattr(carrier, "submit_intercept", merchant_cancels_meanwhile)
    sent = []
    send = gw.queues.send
    monkeypatch.setattr(gw.queues, "send", lambda queue, body, delay_seconds=0: (
        sent.append((body, delay_seconds)), send(queue, body, delay_seconds))[1])
    assert pump.run_once() == 1
    record = gw.store.intercepts.get(intercept_id)
    assert record.status == InterceptStatus.cancel_requested  # the carrier took it: only it can withdraw it
    assert (record.carrier_ref, record.dispatch_lease_until) == ("ref-ZT1000000003", None)
    withdrawals = [body for body, delay in sent if body.get("action") == "cancel"]
    assert len(withdrawals) == 1  # queued by the cancel
    for body in withdrawals * 2:  # and delivered twice
        gw.dispatcher.process(QueueMessage("m", "unused", json.dumps(body)))
    assert [(order.intercept_id, order.carrier_ref) for order in carrier.cancelled] == [
        (intercept_id, "ref-ZT1000000003")]
    assert gw.store.intercepts.get(intercept_id).status == InterceptStatus.cancelled


def test_a_finished_submission_lets_a_later_cancel_withdraw_at_once(client, gw, pump, carrier):
    intercept_id = submitted(client, pump)
    assert gw.store.intercepts.get(intercept_id).dispatch_lease_until is None
    cancel(client, intercept_id)
    assert pump.run_once() == 1
    assert gw.store.intercepts.get(intercept_id).carrier_cancel == "withdrawn"
