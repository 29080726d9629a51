"""Every status change and after-sale move goes through `lifecycle.transition`, and every row of
its tables is a move some part of the gateway makes.

Each scenario drives one real path (the API, the dispatch worker, a carrier callback, the polling
and deadline schedules, the operator's redrive) and the recorder notes the moves `transition`
built. Together they must cover the tables exactly: a row removed from a table makes its scenario
fail (TransitionNotAllowed), a row no path makes fails the coverage test.
"""
from __future__ import annotations

import json

import boto3
import pytest
from click.testing import CliRunner

import app as app_module
from chalicelib.carriers.base import CancelOutcome, CarrierResult, CarrierUnavailable, SubmitOutcome
from chalicelib.domain import lifecycle
from chalicelib.domain.lifecycle import ALLOWED, REFUND_ALLOWED
from chalicelib.domain.models import EventSource
from gatewayctl.cli import cli
from local.pump import QueuePump
from tests.conftest import auth, give_account, intercept_body, post_intercept
from tests.functional.test_dispatch_worker import make_visible

MOVES: set[tuple[str, str]] = set()


@pytest.fixture
def recorded(monkeypatch):
    """Every change `transition` builds, as (from, to) of the status or of the after-sale track."""
    made = set()
    real = lifecycle.transition

    def recording(record, **change):
        built = real(record, **change)
        if change.get("to_status") is not None:
            made.add((record.status.value, change["to_status"].value))
        if change.get("to_refund") is not None:
            made.add((record.refund_status.value, change["to_refund"].value))
        return built

    monkeypatch.setattr(lifecycle, "transition", recording)
    yield made
    MOVES.update(made)


@pytest.fixture
def pump(gw):
    return QueuePump(boto3.client("sqs"), gw.settings.dispatch_queue, app_module.dispatch, wait_seconds=0)


def create(client, n: int = 3) -> str:
    response = post_intercept(client, intercept_body(tracking_no=f"ZT100000000{n}", order_id=f"o-{n}"),
                              idempotency_key=f"k-{n}")
    assert response.status_code == 202, response.body
    return json.loads(response.body)["id"]


def push(gw, intercept_id: str, result: CarrierResult) -> None:
    """A verified carrier callback's effect (the callback route calls exactly this); it must apply."""
    applied = gw.carrier_results.apply(intercept_id, result, source=EventSource.carrier, reason="pushed")
    assert applied.value == "applied", (intercept_id, result)


def cancel(client, intercept_id: str) -> int:
    return client.http.post(f"/v1/intercepts/{intercept_id}/cancel", headers=auth(), body="{}").status_code


def status(gw, intercept_id: str) -> str:
    return gw.store.intercepts.get(intercept_id).status.value


def unreachable_until_needs_attention(gw, client, pump, carrier, n: int = 3) -> str:
    gw.store.circuits.close("zto")  # each scenario's outage is its own: no circuit opened by an earlier one
    carrier.script = [CarrierUnavailable("HTTP 503")] * gw.settings.dispatch_max_attempts
    intercept_id = create(client, n)
    for _ in range(3 * gw.settings.dispatch_max_attempts):
        if status(gw, intercept_id) == "needs_attention":
            break
        pump.run_once()
        make_visible(gw)
    assert status(gw, intercept_id) == "needs_attention"
    return intercept_id


def test_dispatch_accepted_then_pushed_results(recorded, gw, client, pump):
    intercept_id = create(client)
    pump.run_once()                                  # pending -> submitted
    assert status(gw, intercept_id) == "submitted"
    push(gw, intercept_id, CarrierResult.intercepted)  # submitted -> intercepted, awaiting -> refund_auto
    assert gw.store.intercepts.get(intercept_id).refund_status.value == "refund_auto"
    push(gw, intercept_id, CarrierResult.returned)   # intercepted -> returned
    other = create(client, 4)
    pump.run_once()
    push(gw, other, CarrierResult.failed)            # submitted -> failed
    assert status(gw, intercept_id) == "returned" and status(gw, other) == "failed"


def test_results_that_overtake_the_submission(recorded, gw, client):
    fast = create(client)
    push(gw, fast, CarrierResult.intercepted)          # pending -> intercepted
    refused = create(client, 4)
    push(gw, refused, CarrierResult.failed)            # pending -> failed
    assert (status(gw, fast), status(gw, refused)) == ("intercepted", "failed")


def test_a_refusal_at_submission(recorded, gw, client, pump, carrier):
    carrier.script = [SubmitOutcome(CarrierResult.failed, reason_code="parcel_signed")]
    intercept_id = create(client)
    pump.run_once()                                   # pending -> failed
    assert status(gw, intercept_id) == "failed"


def test_cancels(recorded, gw, client, pump, carrier):
    never_sent = create(client)
    assert cancel(client, never_sent) == 200           # pending -> cancelled
    assert status(gw, never_sent) == "cancelled"
    sent = create(client, 4)
    pump.run_once()
    assert cancel(client, sent) == 202                 # submitted -> cancel_requested
    pump.run_once()                                    # cancel_requested -> cancelled (withdrawn)
    assert status(gw, sent) == "cancelled"
    timed_out = create(client, 5)
    carrier.script = [CarrierUnavailable("timeout")]
    pump.run_once()
    assert cancel(client, timed_out) == 202             # pending (a call was made) -> cancel_requested
    carrier.cancel_script = [CancelOutcome(False, reason_code="already_intercepted")]
    carrier.query_script = [SubmitOutcome(CarrierResult.failed, reason_code="parcel_out_for_delivery")]
    pump.run_once()                                    # cancel_requested -> failed (its result came first)
    assert status(gw, timed_out) == "failed"
    acted = create(client, 6)
    pump.run_once()
    assert cancel(client, acted) == 202
    push(gw, acted, CarrierResult.intercepted)         # cancel_requested -> intercepted


def test_needs_attention_and_the_operators_redrive(recorded, gw, client, pump, carrier):
    stuck = unreachable_until_needs_attention(gw, client, pump, carrier)  # pending -> needs_attention
    result = CliRunner().invoke(cli, ["queues", "redrive"], obj=_gatewayctl_target(gw))
    assert result.exit_code == 0, result.output         # needs_attention -> pending
    assert status(gw, stuck) == "pending"


def test_results_and_a_cancel_after_needs_attention(recorded, gw, client, pump, carrier):
    for number, result in enumerate((CarrierResult.accepted, CarrierResult.intercepted, CarrierResult.failed)):
        stuck = unreachable_until_needs_attention(gw, client, pump, carrier, n=number)
        push(gw, stuck, result)                        # needs_attention -> submitted | intercepted | failed
        assert status(gw, stuck) == {"accepted": "submitted"}.get(result.value, result.value)
    stuck = unreachable_until_needs_attention(gw, client, pump, carrier, n=7)
    assert cancel(client, stuck) == 202                 # needs_attention -> cancel_requested
    assert status(gw, stuck) == "cancel_requested"


def test_a_callback_that_never_comes_from_a_route_without_a_status_query(recorded, gw, client, pump, carrier, clock):
    carrier.route, carrier.can_withdraw, carrier.can_poll = "kuaidi100", False, False
    give_account(gw)
    intercept_id = create(client, 8)
    pump.run_once()
    clock.advance(seconds=gw.settings.callback_deadline_seconds + 1)
    assert gw.poll_overdue()["callback_overdue"] == 1    # submitted -> needs_attention
    assert status(gw, intercept_id) == "needs_attention"


def test_refund_decisions_and_the_deadline(recorded, gw, client, clock):
    decisions = {"agree": create(client), "refuse": create(client, 4), "arbitrate": create(client, 5),
                 "partial_refund": create(client, 2)}
    clock.advance(days=3)
    for decision, intercept_id in decisions.items():  # awaiting -> agreed | refused | arbitration | partial
        response = client.http.post(f"/v1/intercepts/{intercept_id}/refund-decision", headers=auth(),
                                    body=json.dumps({"decision": decision,
                                                     **({"amount": 1000} if decision == "partial_refund" else {})}))
        assert response.status_code == 200, response.body
        assert json.loads(response.body)["refund_status"] == {"agree": "refund_agreed", "refuse": "refund_refused",
                                                              "arbitrate": "arbitration",
                                                              "partial_refund": "refund_partial"}[decision]
    late = create(client, 6)
    clock.advance(days=5, seconds=1)
    gw.sweep_refund_deadlines()                       # awaiting -> refund_timeout
    assert gw.store.intercepts.get(late).refund_status.value == "refund_timeout"


def test_every_row_of_the_tables_is_a_move_the_gateway_makes():
    """Runs after the scenarios above (pytest keeps file order)."""
    rows = {(source.value, target.value) for source, targets in ALLOWED.items() for target in targets}
    rows |= {(source.value, target.value) for source, targets in REFUND_ALLOWED.items() for target in targets}
    assert MOVES == rows, f"never made: {sorted(rows - MOVES)}; made but not in the tables: {sorted(MOVES - rows)}"


def _gatewayctl_target(gw):
    from gatewayctl.target import Target

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    return Target(session=session, table_name=gw.settings.table_name)
