"""The after-sale (refund) track: what a merchant's decision or the deadline makes of it.

Pure rules over a record, its platform policy and the time. Window lengths come from the policy:
the merchant has `processing_window_days` from the start of the interception to decide; without a
decision the refund happens on timeout. A refusal is allowed only after the interception failed,
or `refuse_allowed_after_days` after it started with no result. Arbitration hands the case to the
platform and stops the timers. Once the track leaves `awaiting_result` it never changes again.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.clock import from_iso, to_iso
from chalicelib.domain.models import Intercept, InterceptStatus, RefundDecision, RefundMode, RefundStatus
from chalicelib.rules.policies import PlatformPolicy

#: A carrier result that ends the interception successfully: no refusal after one.
SUCCEEDED = frozenset({InterceptStatus.intercepted, InterceptStatus.returned})

DECISION_STATUS = {
    RefundDecision.agree: RefundStatus.refund_agreed,
    RefundDecision.refuse: RefundStatus.refund_refused,
    RefundDecision.arbitrate: RefundStatus.arbitration,
}


class NotAllowed(Exception):
    """A decision the rules refuse now; `allowed_from` says when it would be allowed, if ever."""

    def __init__(self, code: str, message: str, allowed_from: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.allowed_from = allowed_from


def initial_status(mode: RefundMode) -> RefundStatus:
    return RefundStatus.refund_paid_upfront if mode == RefundMode.express else RefundStatus.awaiting_result


def deadline_running(record: Intercept) -> bool:
    """A refund deadline is running only while the track waits for a result or a decision."""
    return record.refund_status == RefundStatus.awaiting_result


def started_at(record: Intercept) -> datetime:
    return from_iso(record.created_at)


def deadline(record: Intercept) -> datetime:
    """End of the processing window, fixed on the record when the interception started."""
    return from_iso(record.processing_deadline)


def refuse_allowed_from(record: Intercept, policy: PlatformPolicy) -> datetime:
    return started_at(record) + timedelta(days=policy.refuse_allowed_after_days)


def decide(record: Intercept, decision: RefundDecision, policy: PlatformPolicy, now: datetime) -> RefundStatus:
    """The refund status a merchant's decision leads to, or NotAllowed with the reason."""
    if record.refund_status != RefundStatus.awaiting_result:
        raise NotAllowed("refund_already_decided",
                         f"the after-sale track is already {record.refund_status.value}")
    if now >= deadline(record):
        raise NotAllowed("refund_window_closed",
                         f"the {policy.processing_window_days}-day processing window ended at "
                         f"{to_iso(deadline(record))}; the refund happens on timeout")
    if decision == RefundDecision.refuse:
        _check_refusal(record, policy, now)
    return DECISION_STATUS[decision]


def _check_refusal(record: Intercept, policy: PlatformPolicy, now: datetime) -> None:
    if record.status == InterceptStatus.failed:
        return
    if record.status in SUCCEEDED:
        raise NotAllowed("refuse_not_allowed", "the interception succeeded; the refund cannot be refused")
    allowed_from = refuse_allowed_from(record, policy)
    if now < allowed_from:
        raise NotAllowed("refuse_not_allowed",
                         f"a refund may be refused only after the interception failed or "
                         f"{policy.refuse_allowed_after_days} days after it started without a result",
                         allowed_from=to_iso(allowed_from))


def timed_out(record: Intercept, now: datetime) -> bool:
    """True when the window ended without a decision: the sweep applies `refund_timeout`."""
    return deadline_running(record) and now >= deadline(record)
