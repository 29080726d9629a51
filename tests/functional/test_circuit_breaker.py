"""The per-carrier circuit breaker: state in DynamoDB (moto), shared through conditional writes."""
import json

import boto3
import pytest

import app as app_module
from chalicelib.carriers.base import CarrierUnavailable
from chalicelib.dispatch.circuit_breaker import BreakerPolicy, CircuitBreaker
from chalicelib.domain.models import InterceptStatus
from chalicelib.store.circuits import CLOSED, HALF_OPEN, OPEN, CircuitStore
from chalicelib.store.table import Table
from local.pump import QueuePump
from tests.functional.test_dispatch_worker import create, queue_counts


@pytest.fixture
def breaker_store(gw):
    return CircuitStore(Table(boto3.client("dynamodb"), gw.settings.table_name))


@pytest.fixture
def breaker(breaker_store, clock):
    return CircuitBreaker(breaker_store, clock, BreakerPolicy(failure_threshold=3, cooldown_seconds=30,
                                                             probe_lease_seconds=60))


def test_closed_admits_and_a_clean_success_writes_nothing(breaker, breaker_store):
    admission = breaker.admit("zto")
    assert (admission.allowed, admission.clean) == (True, True)
    breaker.record_success("zto", admission)
    assert breaker_store.get("zto").state == CLOSED


def test_opens_after_consecutive_failures_and_holds_until_the_cooldown(breaker, breaker_store, clock):
    for _ in range(2):
        breaker.record_failure("zto")
    assert breaker_store.get("zto").state == CLOSED
    breaker.record_failure("zto")
    assert breaker_store.get("zto").state == OPEN
    denied = breaker.admit("zto")
    assert (denied.allowed, denied.retry_after_seconds) == (False, 30)
    clock.advance(seconds=20)
    assert breaker.admit("zto").retry_after_seconds == 10
    assert breaker.admit("yto").allowed  # per carrier


def test_a_success_in_between_resets_the_count(breaker, breaker_store):
    breaker.record_failure("zto")
    breaker.record_failure("zto")
    breaker.record_success("zto", breaker.admit("zto"))
    breaker.record_failure("zto")
    assert (breaker_store.get("zto").state, breaker_store.get("zto").failures) == (CLOSED, 1)


def test_after_the_cooldown_exactly_one_probe_is_admitted_and_its_success_closes(breaker, breaker_store, clock):
    for _ in range(3):
        breaker.record_failure("zto")
    clock.advance(seconds=31)
    probe = breaker.admit("zto")
    assert probe.allowed and breaker_store.get("zto").state == HALF_OPEN
    assert not breaker.admit("zto").allowed  # the probe's lease keeps others out
    breaker.record_success("zto", probe)
    assert (breaker_store.get("zto").state, breaker_store.get("zto").failures) == (CLOSED, 0)
    assert breaker.admit("zto").allowed


def test_a_failed_probe_opens_it_for_another_cooldown(breaker, breaker_store, clock):
    for _ in range(3):
        breaker.record_failure("zto")
    clock.advance(seconds=31)
    assert breaker.admit("zto").allowed
    breaker.record_failure("zto")
    assert breaker_store.get("zto").state == OPEN
    assert breaker.admit("zto").retry_after_seconds == 30


def test_a_probe_whose_worker_died_is_taken_over_after_its_lease(breaker, clock):
    for _ in range(3):
        breaker.record_failure("zto")
    clock.advance(seconds=31)
    assert breaker.admit("zto").allowed
    clock.advance(seconds=61)
    assert breaker.admit("zto").allowed


def test_only_one_of_two_workers_takes_the_probe(breaker_store, clock):
    first = CircuitBreaker(breaker_store, clock, BreakerPolicy(failure_threshold=1, cooldown_seconds=5))
    second = CircuitBreaker(breaker_store, clock, BreakerPolicy(failure_threshold=1, cooldown_seconds=5))
    first.record_failure("zto")
    clock.advance(seconds=6)
    assert [first.admit("zto").allowed, second.admit("zto").allowed] == [True, False]


def test_the_dispatcher_holds_messages_back_while_open_without_calling_or_counting(client, gw, carrier, breaker_store):
    pump = QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, batch_size=1,
                     wait_seconds=0)
    carrier.script = [CarrierUnavailable("HTTP 503")] * 5
    first = [create(client, tracking_no=f"ZT100000000{n}", key=f"idem-{n}") for n in range(5)]
    for _ in range(5):
        pump.run_once()
    assert breaker_store.get("zto").state == OPEN  # threshold 5 (the default)
    assert len(carrier.submitted) == 5
    held = create(client, tracking_no="ZT1000000006", key="idem-held")
    while pump.run_once():
        pass
    assert len(carrier.submitted) == 5  # nobody called the carrier while it is open
    record = gw.store.intercepts.get(held)
    assert (record.status, record.dispatch_attempts) == (InterceptStatus.pending, 0)
    assert queue_counts(gw, gw.settings.dispatch_queue) == (0, 6)  # everything waiting, invisible
    assert all(gw.store.intercepts.get(intercept_id).dispatch_attempts == 1 for intercept_id in first)


def test_a_held_message_near_the_redrive_limit_is_sent_again_instead(gw, client, carrier, breaker_store, clock):
    from chalicelib.queues import QueueMessage

    for _ in range(5):
        gw.breaker.record_failure("zto")
    intercept_id = create(client)
    sqs = boto3.client("sqs")
    url = gw.queues.url(gw.settings.dispatch_queue)
    [received] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"]
    message = QueueMessage("m-1", received["ReceiptHandle"], received["Body"], receive_count=9)
    assert gw.dispatcher.process(message) is True  # finished with: its replacement is queued
    assert carrier.submitted == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received["ReceiptHandle"])  # what Lambda does for a success
    delayed = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesDelayed"])
    assert delayed["Attributes"]["ApproximateNumberOfMessagesDelayed"] == "1"
    assert gw.store.intercepts.get(intercept_id).dispatch_attempts == 0


class CountingCircuitStore(CircuitStore):
    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.reads: list[str] = []

    def get(self, carrier):
        self.reads.append(carrier)
        return super().get(carrier)

    def get_many(self, carriers):
        self.reads.extend(carriers)
        return super().get_many(carriers)


def test_reading_ahead_spares_later_admits_a_read_of_a_clean_circuit(gw, clock):
    store = CountingCircuitStore(Table(boto3.client("dynamodb"), gw.settings.table_name))
    breaker = CircuitBreaker(store, clock, BreakerPolicy())
    breaker.read_ahead({"zto", "yto"})  # one BatchGetItem for both
    assert sorted(store.reads) == ["yto", "zto"]
    assert breaker.admit("zto").clean and breaker.admit("yto").clean
    assert len(store.reads) == 2
    breaker.read_ahead({"zto"})  # still fresh: no read at all
    assert len(store.reads) == 2


def test_reading_ahead_takes_no_probe_and_leaves_the_decision_to_admit(breaker, breaker_store, clock):
    for _ in range(3):
        breaker.record_failure("zto")
    clock.advance(seconds=31)  # a probe is due
    breaker.read_ahead({"zto"})
    assert breaker_store.get("zto").state == OPEN
    probe = breaker.admit("zto")
    assert probe.allowed and breaker_store.get("zto").state == HALF_OPEN


def test_the_dispatcher_reads_the_circuit_before_it_leases_anything(client, gw, carrier, monkeypatch):
    from bench.aws_meter import serialised_aws_calls
    from chalicelib.queues import QueueMessage

    order: list[str] = []
    monkeypatch.setattr(gw.breaker._store, "get_many", lambda carriers: order.append("breaker") or [])
    claim = gw.store.intercepts.claim_dispatch
    monkeypatch.setattr(gw.store.intercepts, "claim_dispatch",
                        lambda *args, **kwargs: order.append("lease") or claim(*args, **kwargs))
    ids = [create(client, tracking_no=f"ZT100000000{n}", key=f"idem-{n}") for n in range(3)]
    received = boto3.client("sqs").receive_message(QueueUrl=gw.queues.url(gw.settings.dispatch_queue),
                                                   MaxNumberOfMessages=10)["Messages"]
    assert {json.loads(message["Body"])["carrier"] for message in received} == {"zto"}
    with serialised_aws_calls():  # the batch's threads would otherwise race inside in-process moto
        gw.dispatcher.handle_batch([QueueMessage(m["MessageId"], m["ReceiptHandle"], m["Body"]) for m in received])
    assert order[0] == "breaker" and order.count("lease") == 3
    assert all(gw.store.intercepts.get(i).status == InterceptStatus.submitted for i in ids)
