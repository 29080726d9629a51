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
from chalicelib.domain.models import AfterSale, Intercept, InterceptStatus, RefundDecision, RefundMode, RefundStatus
from chalicelib.rules.policies import PlatformPolicy

DECISION_STATUS = {
    RefundDecision.agree: RefundStatus.refund_agreed,
    RefundDecision.refuse: RefundStatus.refund_refused,
    RefundDecision.arbitrate: RefundStatus.arbitration,
    RefundDecision.partial_refund: RefundStatus.refund_partial,
}


class AmountOutOfBounds(ValueError):
    """A partial refund larger than the refund asked for (or not below it)."""


class NotAllowed(Exception):
    """A decision the rules refuse now; `allowed_from` says when it would be allowed, if ever."""

    def __init__(self, code: str, message: str, allowed_from: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.allowed_from = allowed_from


def initial_status(mode: RefundMode) -> RefundStatus:
    return RefundStatus.refund_paid_upfront if mode == RefundMode.express else RefundStatus.awaiting_result


def decide(record: Intercept | AfterSale, decision: RefundDecision, policy: PlatformPolicy, now: datetime,
           amount: int | None = None) -> RefundStatus:
    """The refund status a merchant's decision leads to, or NotAllowed with the reason.

    A partial refund (seed 000: negotiated when the interception failed) is a partial refusal: it
    is allowed when a refusal is, for an `amount` below the refund asked for (AmountOutOfBounds)."""
    if decision == RefundDecision.partial_refund and (amount is None or not 0 < amount < record.refund_amount):
        raise AmountOutOfBounds(f"must be from 1 to {record.refund_amount - 1} fen, below the refund amount "
                                f"{record.refund_amount}")
    if record.refund_status != RefundStatus.awaiting_result:
        raise NotAllowed("refund_already_decided",
                         f"the after-sale track is already {record.refund_status.value}")
    if now >= deadlines.deadline(record):
        raise NotAllowed("refund_window_closed",
                         f"the {policy.processing_window_days}-day processing window ended at "
                         f"{to_iso(deadlines.deadline(record))}; the refund happens on timeout")
    if decision in (RefundDecision.refuse, RefundDecision.partial_refund):
        _check_refusal(record, policy, now)
    return DECISION_STATUS[decision]


def _check_refusal(record: Intercept | AfterSale, policy: PlatformPolicy, now: datetime) -> None:
    if isinstance(record, AfterSale):
        counts = record.counts()
        failed, succeeded = counts["failed_count"] > 0, every_sent_parcel_succeeded(record)
    else:
        failed, succeeded = record.status == InterceptStatus.failed, record.status in SUCCEEDED
    if failed:
        return
    if succeeded:
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


def every_sent_parcel_succeeded(after_sale: AfterSale) -> bool:
    """Every parcel sent to a carrier (not refused at the door, not cancelled) was intercepted."""
    sent = [parcel for parcel in after_sale.parcels if parcel.status not in ("refused", "cancelled")]
    return bool(sent) and all(parcel.status in {status.value for status in SUCCEEDED} for parcel in sent)


def on_parcels(after_sale: AfterSale, policy: PlatformPolicy) -> RefundStatus | None:
    """The refund status an after-sale's parcels move its track to, if any: the automatic refund
    once every sent parcel is intercepted."""
    if after_sale.refund_status == RefundStatus.awaiting_result and policy.auto_refund_on_success \
            and every_sent_parcel_succeeded(after_sale):
        return RefundStatus.refund_auto
    return None
