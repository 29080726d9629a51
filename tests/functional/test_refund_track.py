"""The after-sale track through the API and the deadline sweep, at the rule's boundaries."""
import json
from datetime import timedelta

import pytest

from bench.refund_sweep_reads import CountingClient, intercept
from chalicelib.clock import to_iso
from chalicelib.domain.models import InterceptStatus, RefundStatus
from chalicelib.schedules.refund_deadlines import sweep_refund_deadlines
from chalicelib.store import StaleState
from tests.conftest import START, auth, intercept_body, post_intercept, stored_item, transition

THREE_DAYS = timedelta(days=3)
FIVE_DAYS = timedelta(days=5)


def create(client, **overrides) -> dict:
    response = post_intercept(client, intercept_body(**overrides), idempotency_key=overrides.get("order_id", "k"))
    assert response.status_code == 202, response.body
    return json.loads(response.body)


def decide(client, intercept_id: str, decision: str, note: str = ""):
    return client.http.post(f"/v1/intercepts/{intercept_id}/refund-decision", headers=auth(),
                            body=json.dumps({"decision": decision, "note": note}))


def at(clock, delta: timedelta) -> None:
    clock._now = START + delta


def test_refuse_one_second_before_three_days_is_409_with_when_it_becomes_allowed(client, clock):
    record = create(client)
    at(clock, THREE_DAYS - timedelta(seconds=1))
    response = decide(client, record["id"], "refuse")
    assert response.status_code == 409
    error = json.loads(response.body)["error"]
    assert error["code"] == "refuse_not_allowed"
    assert error["allowed_from"] == to_iso(START + THREE_DAYS)
    assert "3 days" in error["message"]


def test_refuse_at_three_days_without_a_result_is_recorded(client, clock):
    record = create(client)
    at(clock, THREE_DAYS)
    response = decide(client, record["id"], "refuse", note="parcel still moving")
    assert response.status_code == 200, response.body
    body = json.loads(response.body)
    assert body["refund_status"] == "refund_refused"
    assert body["refund_decided_at"] == to_iso(START + THREE_DAYS)
    last = body["events"][-1]
    assert (last["from_refund_status"], last["to_refund_status"]) == ("awaiting_result", "refund_refused")
    assert last["from_status"] == last["to_status"] == "pending"
    assert "parcel still moving" in last["reason"]


def test_refuse_right_after_a_failed_interception_is_allowed(client, gw, clock):
    record = create(client)
    stored = gw.store.intercepts.get(record["id"])
    transition(gw, stored, to_status=InterceptStatus.failed, source="carrier", reason="signed", now=clock.now())
    clock.advance(seconds=1)
    assert decide(client, record["id"], "refuse").status_code == 200


def test_refuse_after_success_is_409_without_a_time_it_becomes_allowed(client, gw, clock):
    record = create(client)
    stored = gw.store.intercepts.get(record["id"])
    transition(gw, stored, to_status=InterceptStatus.intercepted, source="carrier", reason="", now=clock.now())
    at(clock, THREE_DAYS)
    error = json.loads(decide(client, record["id"], "refuse").body)["error"]
    assert error["code"] == "refuse_not_allowed"
    assert "allowed_from" not in error


def test_a_second_decision_is_409(client, clock):
    record = create(client)
    assert decide(client, record["id"], "agree").status_code == 200
    response = decide(client, record["id"], "arbitrate")
    assert response.status_code == 409
    assert json.loads(response.body)["error"]["code"] == "refund_already_decided"


def test_a_bad_decision_is_400(client):
    record = create(client)
    response = decide(client, record["id"], "maybe")
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["fields"][0]["field"] == "decision"


def test_arbitration_stops_the_timer(client, gw, clock):
    record = create(client)
    assert json.loads(decide(client, record["id"], "arbitrate").body)["refund_status"] == "arbitration"
    at(clock, FIVE_DAYS + timedelta(days=1))
    report = gw.sweep_refund_deadlines()
    assert (report.due, report.timed_out) == (0, 0)
    assert gw.store.intercepts.get(record["id"]).refund_status == RefundStatus.arbitration


def test_a_decision_one_second_before_the_deadline_wins_over_the_sweep(client, gw, clock):
    record = create(client)
    at(clock, FIVE_DAYS - timedelta(seconds=1))
    assert gw.sweep_refund_deadlines().due == 0
    assert decide(client, record["id"], "agree").status_code == 200
    at(clock, FIVE_DAYS)
    report = gw.sweep_refund_deadlines()
    assert (report.due, report.timed_out) == (0, 0)
    assert gw.store.intercepts.get(record["id"]).refund_status == RefundStatus.refund_agreed


def test_the_sweep_at_five_days_applies_the_timeout_once(client, gw, clock):
    record = create(client)
    at(clock, FIVE_DAYS)
    assert gw.sweep_refund_deadlines().timed_out == 1
    assert gw.sweep_refund_deadlines().timed_out == 0
    stored = gw.store.intercepts.get_with_history(record["id"])
    assert stored.refund_status == RefundStatus.refund_timeout
    timeouts = [event for event in stored.events if event.to_refund_status == RefundStatus.refund_timeout]
    assert len(timeouts) == 1 and timeouts[0].source == "schedule"
    assert decide(client, record["id"], "agree").status_code == 409


def test_a_sweep_from_a_stale_read_does_not_apply_a_second_timeout(gw, client, clock):
    """Two sweeps interleaved: both read the due item, the second writes after the first."""
    record = create(client)
    at(clock, FIVE_DAYS)
    first, _ = gw.store.intercepts.due_refunds(clock.now(), 10)
    second, _ = gw.store.intercepts.due_refunds(clock.now(), 10)
    assert gw.refund_decisions.time_out(first[0]) is True
    assert gw.refund_decisions.time_out(second[0]) is False
    events = gw.store.intercepts.get_with_history(record["id"]).events
    assert [event.to_refund_status for event in events if event.to_refund_status] == [RefundStatus.refund_timeout]


def test_a_decision_after_the_window_is_409_even_before_the_sweep_ran(client, clock):
    record = create(client)
    at(clock, FIVE_DAYS)
    response = decide(client, record["id"], "agree")
    assert response.status_code == 409
    assert json.loads(response.body)["error"]["code"] == "refund_window_closed"


def test_the_sweep_reads_a_bounded_batch_and_continues_where_it_stopped(client, gw, clock):
    ids = [create(client, order_id=f"o-{n}", after_sale_id=f"as-{n}", tracking_no=f"ZT10000000{n:02d}")["id"]
           for n in range(10)]
    at(clock, FIVE_DAYS)
    first = sweep_refund_deadlines(gw.store.intercepts, gw.refund_decisions, clock, batch=4)
    # due items only (the key condition), at most one ahead per shard read to merge the shards oldest first
    assert first.timed_out == 4 and first.scanned <= 4 + gw.settings.busy_shards
    assert sweep_refund_deadlines(gw.store.intercepts, gw.refund_decisions, clock, batch=4).timed_out == 4
    assert sweep_refund_deadlines(gw.store.intercepts, gw.refund_decisions, clock, batch=4).timed_out == 2
    assert sweep_refund_deadlines(gw.store.intercepts, gw.refund_decisions, clock, batch=4).due == 0
    assert {gw.store.intercepts.get(id_).refund_status for id_ in ids} == {RefundStatus.refund_timeout}


def test_success_applies_the_automatic_refund_and_leaves_the_due_index(client, gw, clock):
    record = create(client)
    gw.carrier_results.apply(record["id"], "intercepted", source="carrier")
    at(clock, FIVE_DAYS)
    assert gw.sweep_refund_deadlines().due == 0
    assert gw.store.intercepts.get(record["id"]).refund_status == RefundStatus.refund_auto


def test_express_refund_starts_paid_upfront_with_no_deadline(client, gw, clock):
    record = create(client, refund_mode="express")
    assert (record["refund_status"], record["refund_mode"]) == ("refund_paid_upfront", "express")
    gw.carrier_results.apply(record["id"], "intercepted", source="carrier")
    at(clock, FIVE_DAYS)
    assert gw.sweep_refund_deadlines().due == 0
    stored = gw.store.intercepts.get(record["id"])
    assert (stored.status, stored.refund_status) == (InterceptStatus.intercepted, RefundStatus.refund_paid_upfront)
    assert decide(client, record["id"], "agree").status_code == 409


def test_a_return_after_interception_records_the_return_time(client, gw, clock):
    record = create(client)
    gw.carrier_results.apply(record["id"], "intercepted", source="carrier")
    clock.advance(days=2)
    gw.carrier_results.apply(record["id"], "returned", source="carrier", reason="back at sender")
    stored = gw.store.intercepts.get(record["id"])
    assert stored.status == InterceptStatus.returned
    assert stored.returned_at == to_iso(START + timedelta(days=2))


def test_a_success_racing_a_decision_moves_the_track_once(client, gw, clock):
    """The carrier's success was read before a merchant agreed; its refund_auto must not overwrite."""
    record = create(client)
    stale = gw.store.intercepts.get(record["id"])
    assert decide(client, record["id"], "agree").status_code == 200
    with pytest.raises(StaleState):
        transition(gw, stale, to_status=InterceptStatus.intercepted, to_refund=RefundStatus.refund_auto,
                   source="carrier", reason="", now=clock.now())
    gw.carrier_results.apply(record["id"], "intercepted", source="carrier")
    stored = gw.store.intercepts.get(record["id"])
    assert (stored.status, stored.refund_status) == (InterceptStatus.intercepted, RefundStatus.refund_agreed)


def test_the_clock_cannot_be_moved_outside_the_local_stage(client):
    response = client.http.post("/local/clock", headers={"Content-Type": "application/json"},
                                body=json.dumps({"advance_seconds": 60}))
    assert response.status_code == 404


def test_a_sweep_reads_only_the_due_items_among_many_live_ones(gw, clock):
    """The bench (`python -m bench.refund_sweep_reads`) runs this with 10,000 live and 100 due."""
    table = gw.settings.table_name
    items = [{"PutRequest": {"Item": stored_item(intercept(n, -1 / 24 if n < 7 else 2))}} for n in range(300)]
    for start in range(0, len(items), 25):
        gw.store.table.client.batch_write_item(RequestItems={table: items[start:start + 25]})
    counting = CountingClient(gw.store.table.client)
    gw.store.table.client = counting
    report = sweep_refund_deadlines(gw.store.intercepts, gw.refund_decisions, clock, batch=100)
    assert (report.due, report.timed_out) == (7, 7)
    assert counting.scanned == report.scanned == 7
