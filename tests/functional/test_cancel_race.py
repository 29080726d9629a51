"""A merchant's cancel racing the carrier's success: the record always ends as the carrier acted.

The carrier is modelled by its own truth (it stops the parcel at some moment unless the
instruction was withdrawn before). Each trial puts that moment, and the arrival of its success
callback, at a different point among the gateway's AWS calls while it cancels and withdraws:
every interleaving of the two, with the callback on time, late, or lost (then the polling
schedule finds the result). Every trial must end with the record, the fee and the webhooks saying
what the carrier did: one terminal webhook, a fee exactly when the parcel was stopped.
"""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass

import botocore.client
import pytest

from chalicelib.carriers.base import CancelOutcome, CarrierResult, SubmitOutcome
from chalicelib.domain.models import EventSource, InterceptStatus
from chalicelib.queues import QueueMessage
from chalicelib.usecases.carrier_results import Reporter
from tests.conftest import ScriptedCarrier, auth, deliver_webhooks, intercept_body, post_intercept

TERMINAL_EVENTS = {"intercept.succeeded", "intercept.cancelled", "intercept.failed"}


class CarrierTruth(ScriptedCarrier):
    """Stops the parcel when told to, unless the instruction was withdrawn first; answers the
    withdrawal and the status query from that truth."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self.outcome: str | None = None  # "intercepted" | "withdrawn"

    def stop_parcel(self) -> bool:
        with self._lock:
            if self.outcome is None:
                self.outcome = "intercepted"
            return self.outcome == "intercepted"

    def cancel_intercept(self, order):
        self.cancelled.append(order)
        with self._lock:
            if self.outcome is None:
                self.outcome = "withdrawn"
                return CancelOutcome(True)
        return CancelOutcome(False, reason_code="already_intercepted", message="已拦截，无法撤销")

    def query_intercept(self, order):
        self.queried.append(order)
        with self._lock:
            done = self.outcome == "intercepted"
        return SubmitOutcome(CarrierResult.intercepted if done else CarrierResult.accepted)


@dataclass(frozen=True)
class Trial:
    stop_at: int        # the carrier stops the parcel before the gateway's stop_at-th AWS call
    callback: str       # "on_time" (with the stop), "late_<n>" (n calls later), "lost"


#: The cancel and its withdrawal make about a dozen AWS calls; the carrier stops the parcel before
#: each of them (and after all of them), with its callback on time, late by 1 to 6 calls, or lost.
CALLBACKS = ("on_time", "late_1", "late_3", "late_6", "lost")
TRIALS = [Trial(stop_at, callback) for stop_at in range(0, 42) for callback in CALLBACKS]


@contextmanager
def carrier_acts_during(gateway_calls: list, trial: Trial, carrier: CarrierTruth, deliver):
    """Run the carrier's side at the trial's points among the gateway's AWS calls (one thread, so
    each interleaving is exact and repeatable)."""
    original = botocore.client.BaseClient._make_api_call
    pending: dict[int, list] = {trial.stop_at: [lambda: carrier.stop_parcel() and schedule_callback()]}
    inside = [False]

    def schedule_callback():
        if trial.callback == "on_time":
            deliver()
        elif trial.callback.startswith("late_"):
            pending.setdefault(len(gateway_calls) + int(trial.callback.removeprefix("late_")), []).append(deliver)

    def call(client, operation, params):
        if not inside[0]:
            number = len(gateway_calls)
            gateway_calls.append(operation)
            for action in pending.pop(number, []):
                inside[0] = True
                try:
                    action()
                finally:
                    inside[0] = False
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = call
    try:
        yield pending
    finally:
        botocore.client.BaseClient._make_api_call = original


@pytest.fixture
def truth(gw):
    carrier = CarrierTruth()
    gw.adapters = {"zto": carrier}
    return carrier


@pytest.mark.parametrize("callback", CALLBACKS)
def test_every_interleaving_of_cancel_and_success_ends_as_the_carrier_acted(client, gw, truth, clock, callback):
    assert len(TRIALS) >= 200 and {trial.callback for trial in TRIALS} == set(CALLBACKS)
    for number, trial in enumerate(TRIALS):
        if trial.callback != callback:
            continue
        truth.outcome = None
        _empty_intercepts(gw)
        created = post_intercept(client, intercept_body(tracking_no=f"ZT1{number:09d}", order_id=f"o-{number}"),
                                 idempotency_key=f"race-{number}")
        intercept_id = json.loads(created.body)["id"]
        dispatch = gw.queues._sqs.receive_message(QueueUrl=gw.queues.url(gw.settings.dispatch_queue))["Messages"][0]
        assert gw.dispatcher.process(QueueMessage(dispatch["MessageId"], dispatch["ReceiptHandle"], dispatch["Body"]))
        gw.queues._sqs.delete_message(QueueUrl=gw.queues.url(gw.settings.dispatch_queue),
                                      ReceiptHandle=dispatch["ReceiptHandle"])

        def deliver_success():
            gw.carrier_results.apply(intercept_id, CarrierResult.intercepted, source=EventSource.carrier,
                                     reason="拦截成功", reporter=Reporter("zto", "zto", f"ZT1{number:09d}"))

        calls: list[str] = []
        with carrier_acts_during(calls, trial, truth, deliver_success) as still_pending:
            answer = client.http.post(f"/v1/intercepts/{intercept_id}/cancel", headers=auth(), body="{}")
            for message in _withdrawals(gw):
                gw.dispatcher.process(message)
            while still_pending:  # what is still to happen at the carrier happens now
                for action in still_pending.pop(min(still_pending)):
                    action()
        if truth.outcome is None:
            truth.stop_parcel() and (trial.callback != "lost" and deliver_success())
        if truth.outcome == "intercepted" and gw.store.intercepts.get(intercept_id).status != "intercepted":
            clock.advance(minutes=11)
            gw.poll_overdue()  # the callback was lost: the polling schedule asks the carrier
        _check(gw, intercept_id, truth.outcome, answer, trial)


def _empty_intercepts(gw) -> None:
    """Each trial starts from a table without earlier trials' items (moto copies whole tables per
    transaction, so a growing table would make each trial slower than the last)."""
    table = gw.store.table
    for page in table.client.get_paginator("scan").paginate(TableName=table.name, ProjectionExpression="PK, SK"):
        for item in page["Items"]:
            if item["PK"]["S"].startswith(("INTERCEPT#", "PARCEL#", "IDEMPOTENCY#")):
                table.client.delete_item(TableName=table.name, Key=item)


def _withdrawals(gw) -> list[QueueMessage]:
    url = gw.queues.url(gw.settings.dispatch_queue)
    found = gw.queues._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in found:
        gw.queues._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [QueueMessage(m["MessageId"], m["ReceiptHandle"], m["Body"]) for m in found
            if json.loads(m["Body"])["action"] == "cancel"]


def _check(gw, intercept_id: str, carrier_did: str, answer, trial: Trial) -> None:
    record = gw.store.intercepts.get(intercept_id)
    deliver_webhooks(gw)
    terminal = [item["type"] for item in gw.store.deliveries.of_intercept(intercept_id)
                if item["type"] in TERMINAL_EVENTS]
    context = f"{trial}: carrier {carrier_did}, record {record.status.value}, webhooks {terminal}"
    if carrier_did == "intercepted":
        assert record.status == InterceptStatus.intercepted, context
        assert record.fee is not None and record.charged_at is not None, context
        assert terminal == ["intercept.succeeded"], context
        assert answer.status_code in (202, 409), context
        if answer.status_code == 409:  # the result was in before the cancel: the answer says so
            assert json.loads(answer.body)["error"]["status"] == "intercepted", context
    else:
        assert record.status == InterceptStatus.cancelled and record.carrier_cancel == "withdrawn", context
        assert record.fee is None, context
        assert terminal == ["intercept.cancelled"], context
        assert answer.status_code == 202, context
