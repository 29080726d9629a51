"""Conditional writes in the store: a lost race is detected, never applied twice."""
import pytest

from chalicelib.clock import to_iso
from chalicelib.domain.models import Event, EventSource, Intercept, InterceptStatus, PolicyName, RefundStatus
from chalicelib.store import StaleState
from tests.conftest import START, put_record, transition


def pending_intercept(intercept_id: str = "icp_race") -> Intercept:
    at = to_iso(START)
    return Intercept(id=intercept_id, platform_id="plat-a", policy=PolicyName.kuaishou, merchant_id="m",
                     order_id="o", after_sale_id="a", carrier="zto", tracking_no="ZT1000000003", refund_amount=1,
                     package_count=1, goods_type="general", cross_border=False, reason="",
                     status=InterceptStatus.pending, refund_status=RefundStatus.awaiting_result, created_at=at,
                     updated_at=at, processing_deadline=at,
                     events=[Event(at=at, source=EventSource.api, to_status=InterceptStatus.pending)])


def test_a_transition_from_a_stale_read_is_refused(gw, clock):
    record = pending_intercept()
    put_record(gw.store, record)
    transition(gw, record, to_status=InterceptStatus.submitted, source=EventSource.carrier, reason="", now=clock.now())
    with pytest.raises(StaleState):
        transition(gw, record, to_status=InterceptStatus.cancelled, source=EventSource.api, reason="", now=clock.now())
    stored = gw.store.intercepts.get_with_history(record.id)
    assert stored.status == InterceptStatus.submitted
    assert [event.to_status for event in stored.events] == ["pending", "submitted"]


def test_a_held_lease_is_not_granted_twice_until_it_expires(gw, clock):
    record = pending_intercept()
    put_record(gw.store, record)
    assert gw.store.intercepts.claim_dispatch(record.id, clock.now(), 60).dispatch_attempts == 1
    assert gw.store.intercepts.claim_dispatch(record.id, clock.now(), 60) is None
    clock.advance(seconds=61)
    assert gw.store.intercepts.claim_dispatch(record.id, clock.now(), 60).dispatch_attempts == 2
