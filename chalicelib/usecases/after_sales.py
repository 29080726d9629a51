"""After-sale use cases: refund decisions, the refund deadline sweep, and claims.

Decisions and timeouts are conditional writes on the refund status the decision was taken on;
a lost race re-reads and decides again, so a decision and the sweep racing at the deadline end
with exactly one of them applied.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from chalicelib.api.bodies import parse_model
from chalicelib.clock import Clock, new_id, to_iso
from chalicelib.domain import refund_track as refunds
from chalicelib.domain.models import Claim, ClaimStatus, EventSource, Intercept, Platform, RefundStatus
from chalicelib.domain.refund_track import SUCCEEDED
from chalicelib.domain.requests import ClaimRequest, ClaimResolutionRequest, RefundDecisionRequest
from chalicelib.errors import Conflict, NotFound
from chalicelib.rules import policy_for
from chalicelib.store import StaleState, Store
from chalicelib.usecases.intercepts import InterceptService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    due: int          # due items the index returned
    timed_out: int    # refund_timeout applied by this run
    scanned: int      # items DynamoDB read (ScannedCount)


class AfterSaleService:
    def __init__(self, store: Store, intercepts: InterceptService, clock: Clock) -> None:
        self._store = store
        self._intercepts = intercepts
        self._clock = clock

    # -- refund decisions ---------------------------------------------------------------------

    def decide(self, platform: Platform, intercept_id: str, raw_body: bytes | str | None) -> Intercept:
        request = parse_model(RefundDecisionRequest, raw_body)
        record = self._intercepts.get(platform, intercept_id)
        for _ in range(3):
            now = self._clock.now()
            try:
                target = refunds.decide(record, request.decision, policy_for(record.policy), now)
            except refunds.NotAllowed as refused:
                details = {"refund_status": record.refund_status.value}
                if refused.allowed_from:
                    details["allowed_from"] = refused.allowed_from
                raise Conflict(refused.message, code=refused.code, **details) from None
            reason = f"merchant decision: {request.decision.value}" + (f" ({request.note})" if request.note else "")
            try:
                return self._store.transition_refund(record, target, source=EventSource.api, reason=reason, now=now,
                                                     changes={"refund_decided_at": to_iso(now)})
            except StaleState:
                record = self._intercepts.get(platform, intercept_id)
        raise Conflict("the intercept changed while deciding; read it and retry", code="concurrent_change")

    # -- refund deadline sweep ----------------------------------------------------------------

    def sweep_refund_deadlines(self, batch: int = 100) -> SweepReport:
        """Apply `refund_timeout` to intercepts whose window ended without a decision.

        Reads only due items (sparse index, key condition on the deadline), at most `batch`. An
        applied timeout removes the item from the index, so the next run starts where this one
        stopped. A write conditioned on `awaiting_result` makes a second or concurrent run a no-op.
        """
        now = self._clock.now()
        due, scanned = self._store.due_refunds(now, batch)
        timed_out = sum(1 for record in due if self._time_out(record))
        if timed_out:
            log.info("refund deadlines applied", extra={"count": timed_out})
        return SweepReport(due=len(due), timed_out=timed_out, scanned=scanned)

    def _time_out(self, record: Intercept) -> bool:
        for _ in range(2):
            now = self._clock.now()
            if not refunds.timed_out(record, now):
                return False
            try:
                self._store.transition_refund(
                    record, RefundStatus.refund_timeout, source=EventSource.schedule, now=now,
                    reason=f"processing window ended at {record.processing_deadline} without a decision",
                    changes={"refund_decided_at": to_iso(now)})
                return True
            except StaleState:
                fresh = self._store.get_intercept(record.id)
                if fresh is None:
                    return False
                record = fresh
        return False

    # -- claims -------------------------------------------------------------------------------

    def open_claim(self, platform: Platform, intercept_id: str, raw_body: bytes | str | None) -> Claim:
        request = parse_model(ClaimRequest, raw_body)
        record = self._intercepts.get(platform, intercept_id)
        if record.status not in SUCCEEDED:
            raise Conflict("a claim can be opened only after a successful interception", code="claim_not_allowed",
                           status=record.status.value)
        at = to_iso(self._clock.now())
        claim = Claim(id=new_id("clm", self._clock), intercept_id=record.id, amount=request.amount,
                      description=request.description, evidence=request.evidence, created_at=at, updated_at=at)
        self._store.create_claim(record, claim, self._clock.now())
        return claim

    def resolve_claim(self, platform: Platform, intercept_id: str, claim_id: str,
                      raw_body: bytes | str | None) -> Claim:
        request = parse_model(ClaimResolutionRequest, raw_body)
        record = self._intercepts.get(platform, intercept_id)
        claim = next((found for found in record.claims if found.id == claim_id), None)
        if claim is None:
            raise NotFound(f"no claim {claim_id} on intercept {intercept_id}")
        if claim.status != ClaimStatus.open:
            raise Conflict(f"the claim is already {claim.status.value}", code="claim_already_resolved",
                           status=claim.status.value)
        try:
            return self._store.resolve_claim(record, claim, ClaimStatus(request.status), request.note,
                                             EventSource.operator, self._clock.now())
        except StaleState:
            raise Conflict("the claim was resolved meanwhile; read it again", code="claim_already_resolved") from None
