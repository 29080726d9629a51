"""The after-sale rules, pure: windows from the policy, refusal rule, timeout."""
from datetime import timedelta

import pytest

from chalicelib.clock import to_iso
from chalicelib.domain import deadlines
from chalicelib.domain import refund_track as refunds
from chalicelib.domain.models import InterceptStatus, RefundDecision, RefundMode, RefundStatus
from chalicelib.rules import policy_for
from tests.conftest import START
from tests.functional.test_store_races import pending_intercept

KUAISHOU = policy_for("kuaishou")


def record(status=InterceptStatus.pending, refund=RefundStatus.awaiting_result):
    return pending_intercept().model_copy(update={
        "status": status, "refund_status": refund, "processing_deadline": to_iso(START + timedelta(days=5))})


@pytest.mark.parametrize("decision, expected", [
    (RefundDecision.agree, RefundStatus.refund_agreed),
    (RefundDecision.arbitrate, RefundStatus.arbitration),
])
def test_agree_and_arbitrate_are_allowed_at_once(decision, expected):
    assert refunds.decide(record(), decision, KUAISHOU, START) == expected


def test_refusal_waits_for_the_policy_days_without_a_result():
    with pytest.raises(refunds.NotAllowed) as refused:
        refunds.decide(record(InterceptStatus.submitted), RefundDecision.refuse, KUAISHOU,
                       START + timedelta(days=3, seconds=-1))
    assert refused.value.allowed_from == "2026-11-26T08:00:00.000Z"
    assert refunds.decide(record(InterceptStatus.submitted), RefundDecision.refuse, KUAISHOU,
                          START + timedelta(days=3)) == RefundStatus.refund_refused


def test_refusal_after_a_failure_is_allowed_at_once():
    assert refunds.decide(record(InterceptStatus.failed), RefundDecision.refuse, KUAISHOU, START) \
        == RefundStatus.refund_refused


@pytest.mark.parametrize("status", [InterceptStatus.intercepted, InterceptStatus.returned])
def test_refusal_after_success_is_never_allowed(status):
    with pytest.raises(refunds.NotAllowed) as refused:
        refunds.decide(record(status), RefundDecision.refuse, KUAISHOU, START + timedelta(days=4))
    assert refused.value.allowed_from is None


def test_no_decision_once_the_track_has_moved_or_the_window_ended():
    with pytest.raises(refunds.NotAllowed, match="already refund_auto"):
        refunds.decide(record(refund=RefundStatus.refund_auto), RefundDecision.agree, KUAISHOU, START)
    with pytest.raises(refunds.NotAllowed) as closed:
        refunds.decide(record(), RefundDecision.agree, KUAISHOU, START + timedelta(days=5))
    assert closed.value.code == "refund_window_closed"


def test_the_timeout_is_due_at_the_deadline_and_only_while_awaiting():
    assert not deadlines.timed_out(record(), START + timedelta(days=5, seconds=-1))
    assert deadlines.timed_out(record(), START + timedelta(days=5))
    assert not deadlines.timed_out(record(refund=RefundStatus.arbitration), START + timedelta(days=9))


def test_express_mode_starts_paid_upfront():
    assert refunds.initial_status(RefundMode.express) == RefundStatus.refund_paid_upfront
    assert refunds.initial_status(RefundMode.standard) == RefundStatus.awaiting_result
