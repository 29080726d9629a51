"""The after-sale (refund) track: what a merchant's decision leads to, or why it is refused now.

Pure rules over a record, its platform policy and the time (deadlines in
`chalicelib/domain/deadlines.py`). A refusal is allowed only after the interception failed, or
`refuse_allowed_after_days` after it started with no result. Arbitration hands the case to the
platform and stops the timers. Once the track leaves `awaiting_result` it never changes again
(`chalicelib/domain/lifecycle.py` holds that table).
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.clock import to_iso
from chalicelib.domain import deadlines
from chalicelib.domain.lifecycle import SUCCEEDED
from chalicelib.domain.models import Intercept, InterceptStatus, RefundDecision, RefundMode, RefundStatus
from chalicelib.rules.policies import PlatformPolicy

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


def decide(record: Intercept, decision: RefundDecision, policy: PlatformPolicy, now: datetime) -> RefundStatus:
    """The refund status a merchant's decision leads to, or NotAllowed with the reason."""
    if record.refund_status != RefundStatus.awaiting_result:
        raise NotAllowed("refund_already_decided",
                         f"the after-sale track is already {record.refund_status.value}")
    if now >= deadlines.deadline(record):
        raise NotAllowed("refund_window_closed",
                         f"the {policy.processing_window_days}-day processing window ended at "
                         f"{to_iso(deadlines.deadline(record))}; the refund happens on timeout")
    if decision == RefundDecision.refuse:
        _check_refusal(record, policy, now)
    return DECISION_STATUS[decision]


def _check_refusal(record: Intercept, policy: PlatformPolicy, now: datetime) -> None:
    if record.status == InterceptStatus.failed:
        return
    if record.status in SUCCEEDED:
        raise NotAllowed("refuse_not_allowed", "the interception succeeded; the refund cannot be refused")
    allowed_from = deadlines.refuse_allowed_from(record, policy)
    if now < allowed_from:
        raise NotAllowed("refuse_not_allowed",
                         f"a refund may be refused only after the interception failed or "
                         f"{policy.refuse_allowed_after_days} days after it started without a result",
                         allowed_from=to_iso(allowed_from))


def on_success(record: Intercept, policy: PlatformPolicy) -> RefundStatus | None:
    """The refund status a successful interception moves the track to, if any (automatic refund)."""
    if record.refund_status == RefundStatus.awaiting_result and policy.auto_refund_on_success:
        return RefundStatus.refund_auto
    return None
