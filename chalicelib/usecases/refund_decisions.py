"""The after-sale track's moves made by people and by time: a merchant's refund decision, and the
refund timeout the deadline sweep applies.

Decisions and timeouts are transitions conditioned on the refund status they were decided on; a
lost race re-reads and decides again, so a decision and the sweep racing at the deadline end with
exactly one of them applied.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.clock import Clock, to_iso
from chalicelib.domain import deadlines, lifecycle, refund_track
from chalicelib.domain.models import AfterSale, EventSource, Intercept, Platform, RefundStatus
from chalicelib.domain.requests import RefundDecisionRequest
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.rules import policy_for
from chalicelib.store import StaleState
from chalicelib.store.intercepts import InterceptStore
from chalicelib.usecases.change_writer import ChangeWriter
from chalicelib.usecases.intercepts import InterceptService

if TYPE_CHECKING:  # request bodies: only the API loads pydantic (chalicelib/domain/records.py)
    from chalicelib.domain.requests import RefundDecisionRequest


class RefundDecisions:
    def __init__(self, intercepts: InterceptStore, reader: InterceptService, changes: ChangeWriter,
                 clock: Clock, after_sales=None) -> None:
        self._intercepts = intercepts
        self._after_sales = after_sales
        self._reader = reader
        self._changes = changes
        self._clock = clock

    def decide(self, platform: Platform, intercept_id: str, request: RefundDecisionRequest) -> Intercept:
        """Decide the refund of an intercept; one that is a parcel of an after-sale of several is
        decided on its after-sale (the answer is then the record, unchanged)."""
        record = self._reader.get(platform, intercept_id)
        if record.refund_status == RefundStatus.with_after_sale:
            self.decide_after_sale(platform, record.after_sale_id, request)
            return record
        return self._decide(record, request, lambda: self._reader.get(platform, intercept_id))

    def decide_after_sale(self, platform: Platform, after_sale_id: str, request: RefundDecisionRequest) -> dict:
        """Decide an after-sale's refund: the after-sale of several parcels, or the record of an
        after-sale of one. The answer is the after-sale (`InterceptService.after_sale`)."""
        sale = self._after_sales.get(platform.id, after_sale_id) if self._after_sales else None
        if sale is None:
            record_of_one = self._reader.after_sale(platform, after_sale_id)["parcels"][0]["intercept_id"]
            self._decide(self._reader.get(platform, record_of_one), request,
                         lambda: self._reader.get(platform, record_of_one))
        else:
            self._decide(sale, request, lambda: self._after_sales.get(platform.id, after_sale_id))
        return self._reader.after_sale(platform, after_sale_id)

    def _decide(self, record: Intercept | AfterSale, request: RefundDecisionRequest, reread) -> Intercept | AfterSale:
        for _ in range(3):
            now = self._clock.now()
            try:
                target = refund_track.decide(record, request.decision, policy_for(record.policy), now,
                                             amount=request.amount)
            except refund_track.AmountOutOfBounds as bounds:
                raise BadRequest("the partial refund's amount is out of bounds",
                                 fields=[{"field": "amount", "problem": str(bounds)}]) from None
            except refund_track.NotAllowed as refused:
                details = {"refund_status": record.refund_status.value}
                if refused.allowed_from:
                    details["allowed_from"] = refused.allowed_from
                raise Conflict(refused.message, code=refused.code, **details) from None
            reason = f"merchant decision: {request.decision.value}" + (
                f" of {request.amount} fen" if request.amount else "") + (f" ({request.note})" if request.note else "")
            changes = {"refund_decided_at": to_iso(now),
                       **({"refund_partial_amount": request.amount} if request.amount else {})}
            change = lifecycle.transition(record, to_refund=target, source=EventSource.api, reason=reason, now=now,
                                          changes=changes)
            try:
                return self._changes.commit_after_sale(change) if isinstance(record, AfterSale) \
                    else self._changes.commit(change)
            except StaleState:
                record = reread()
                if record is None:
                    raise NotFound("the after-sale is gone") from None
        raise Conflict("the intercept changed while deciding; read it and retry", code="concurrent_change")

    def time_out(self, record: Intercept | AfterSale) -> bool:
        """Apply `refund_timeout` if the window of `record` (or after-sale) ended without a decision;
        True if applied."""
        for _ in range(2):
            now = self._clock.now()
            if not deadlines.timed_out(record, now):
                return False
            change = lifecycle.transition(
                record, to_refund=RefundStatus.refund_timeout, source=EventSource.schedule, now=now,
                reason=f"processing window ended at {record.processing_deadline} without a decision",
                changes={"refund_decided_at": to_iso(now)})
            try:
                if isinstance(record, AfterSale):
                    self._changes.commit_after_sale(change)
                else:
                    self._changes.commit(change)
                return True
            except StaleState:
                fresh = self._after_sales.get(record.platform_id, record.id) if isinstance(record, AfterSale) \
                    else self._intercepts.get(record.id)
                if fresh is None:
                    return False
                record = fresh
        return False
