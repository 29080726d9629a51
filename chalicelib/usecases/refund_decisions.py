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
from chalicelib.domain.models import EventSource, Intercept, Platform, RefundStatus
from chalicelib.errors import Conflict
from chalicelib.rules import policy_for
from chalicelib.store import StaleState
from chalicelib.store.intercepts import InterceptStore
from chalicelib.usecases.change_writer import ChangeWriter
from chalicelib.usecases.intercepts import InterceptService

if TYPE_CHECKING:  # request bodies: only the API loads pydantic (chalicelib/domain/records.py)
    from chalicelib.domain.requests import RefundDecisionRequest


class RefundDecisions:
    def __init__(self, intercepts: InterceptStore, reader: InterceptService, changes: ChangeWriter,
                 clock: Clock) -> None:
        self._intercepts = intercepts
        self._reader = reader
        self._changes = changes
        self._clock = clock

    def decide(self, platform: Platform, intercept_id: str, request: RefundDecisionRequest) -> Intercept:
        record = self._reader.get(platform, intercept_id)
        for _ in range(3):
            now = self._clock.now()
            try:
                target = refund_track.decide(record, request.decision, policy_for(record.policy), now)
            except refund_track.NotAllowed as refused:
                details = {"refund_status": record.refund_status.value}
                if refused.allowed_from:
                    details["allowed_from"] = refused.allowed_from
                raise Conflict(refused.message, code=refused.code, **details) from None
            reason = f"merchant decision: {request.decision.value}" + (f" ({request.note})" if request.note else "")
            try:
                return self._changes.commit(lifecycle.transition(
                    record, to_refund=target, source=EventSource.api, reason=reason, now=now,
                    changes={"refund_decided_at": to_iso(now)}))
            except StaleState:
                record = self._reader.get(platform, intercept_id)
        raise Conflict("the intercept changed while deciding; read it and retry", code="concurrent_change")

    def time_out(self, record: Intercept) -> bool:
        """Apply `refund_timeout` if the window of `record` ended without a decision; True if applied."""
        for _ in range(2):
            now = self._clock.now()
            if not deadlines.timed_out(record, now):
                return False
            try:
                self._changes.commit(lifecycle.transition(
                    record, to_refund=RefundStatus.refund_timeout, source=EventSource.schedule, now=now,
                    reason=f"processing window ended at {record.processing_deadline} without a decision",
                    changes={"refund_decided_at": to_iso(now)}))
                return True
            except StaleState:
                fresh = self._intercepts.get(record.id)
                if fresh is None:
                    return False
                record = fresh
        return False
