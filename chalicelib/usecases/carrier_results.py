"""What a carrier reports about an interception, applied the same way whichever path brought it:
the dispatch worker's synchronous answer, a callback, or the polling fallback."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.carriers.base import CarrierResult
from chalicelib.clock import Clock, to_iso
from chalicelib.domain import lifecycle, refund_track
from chalicelib.domain.models import EventSource, Intercept, InterceptStatus
from chalicelib.observability import metrics
from chalicelib.rules import policy_for
from chalicelib.rules.pricing import fee_on_result
from chalicelib.store import StaleState
from chalicelib.store.intercepts import InterceptStore
from chalicelib.usecases.change_writer import ChangeWriter

log = logging.getLogger(__name__)

#: What each carrier result makes of an interception.
RESULT_STATUS = {
    CarrierResult.accepted: InterceptStatus.submitted,
    CarrierResult.intercepted: InterceptStatus.intercepted,
    CarrierResult.failed: InterceptStatus.failed,
    CarrierResult.returned: InterceptStatus.returned,
}


class Applied(StrEnum):
    applied = "applied"
    unchanged = "unchanged"
    unknown = "unknown"      # no such intercept
    mismatch = "mismatch"    # an intercept of another carrier, route or parcel: never applied


@dataclass(frozen=True)
class Reporter:
    """Who reports a result: the carrier code whose route it came in on, and the protocol (its own,
    or an aggregator's) that verified it. A result moves only an intercept of that carrier, sent
    over that route, for the parcel the report names."""

    carrier: str
    route: str
    tracking_no: str | None = None

    def mismatch(self, record: Intercept) -> str | None:
        if record.carrier.value != self.carrier:
            return f"carrier {self.carrier} reported on a {record.carrier.value} intercept"
        if record.route != self.route:
            return f"a result over {self.route} for an intercept sent over {record.route}"
        if self.tracking_no is not None and record.tracking_no != self.tracking_no:
            return "the tracking number is not the intercept's"
        return None


class CarrierResults:
    def __init__(self, intercepts: InterceptStore, changes: ChangeWriter, clock: Clock) -> None:
        self._intercepts = intercepts
        self._changes = changes
        self._clock = clock

    def apply(self, intercept_id: str, result: CarrierResult, *, source: EventSource, reason: str = "",
              changes: dict | None = None, reporter: Reporter | None = None,
              carrier_accepted: bool = True, last_read: Intercept | None = None,
              charged: int | None = None) -> Applied:
        """Apply a carrier result if the lifecycle allows it.

        A result the record already has, or one the lifecycle has moved past (a late `accepted`
        after `intercepted`), changes nothing. A result from outside (a callback, a poll) names its
        `reporter`: one that does not match the record (another carrier's push naming this id, a
        result over another route, another parcel) changes nothing and is logged as a security
        event; the caller answers it like an unknown intercept.
        `carrier_accepted` is False for a refusal at submission: the carrier never took the
        instruction, so no per-attempt fee is due. `last_read` is the record as the caller last
        read it, which saves a read: the write is conditioned on its status, so a stale copy only
        costs a retry that reads afresh.
        `charged` is the fee (fen) the carrier named with this result (SF's `amount`): recorded as
        `carrier_fee`, and the fee fixed on the result (now or later) is that amount. A fee named once
        the fee is fixed changes nothing: the fee is fixed once.
        """
        target = RESULT_STATUS[result]
        for _ in range(3):
            record = last_read if last_read is not None else self._intercepts.get(intercept_id)
            last_read = None
            if record is None:
                return Applied.unknown
            problem = reporter.mismatch(record) if reporter is not None else None
            if problem:
                log.warning("carrier result refused: it does not match the intercept",
                            extra={"security": True, "intercept_id": intercept_id, "carrier": reporter.carrier,
                                   "route": reporter.route, "problem": problem})
                return Applied.mismatch
            if record.status == target or not lifecycle.can_move(record.status, target):
                return Applied.unchanged
            now = self._clock.now()
            fields, refund = _result_changes(record, target, to_iso(now), carrier_accepted, charged)
            try:
                self._changes.commit(lifecycle.transition(
                    record, to_status=target, to_refund=refund, source=source, reason=reason, now=now,
                    changes={**fields, **(changes or {})}))
            except StaleState:
                continue
            _count_result(record.carrier.value, target)
            return Applied.applied
        return Applied.unchanged


    def holder_of_parcel(self, carrier: str, tracking_no: str) -> str | None:
        """The interception that claims this parcel (for pushes that name only the waybill)."""
        return self._intercepts.parcel_holder(carrier, tracking_no)

    def overdue(self, record: Intercept, reason: str) -> Applied:
        """A result that should have come by callback and did not, from a route that cannot be asked:
        `needs_attention`, so an operator chases it. A callback arriving later still applies."""
        now = self._clock.now()
        try:
            self._changes.commit(lifecycle.transition(
                record, to_status=InterceptStatus.needs_attention, source=EventSource.schedule, reason=reason,
                now=now, changes={"last_error": reason[:500]}))
        except StaleState:  # the callback came meanwhile
            return Applied.unchanged
        return Applied.applied


def _count_result(carrier: str, status: InterceptStatus) -> None:
    if status == InterceptStatus.intercepted:
        metrics.intercept_succeeded(carrier)
    elif status == InterceptStatus.failed:
        metrics.intercept_failed(carrier)


def _result_changes(record: Intercept, target: InterceptStatus, at: str, carrier_accepted: bool,
                    charged: int | None) -> tuple[dict[str, Any], Any]:
    """The fields a result sets (result time, carrier's fee, fee, return time) and where it moves the
    refund track."""
    fields: dict[str, Any] = {}
    if charged is not None and record.fee is None:
        fields["carrier_fee"] = charged
    else:
        charged = record.carrier_fee
    if target == InterceptStatus.returned:
        return {**fields, "returned_at": at}, None
    if target in (InterceptStatus.intercepted, InterceptStatus.failed):
        fields["result_at"] = at
        fee = fee_on_result(record.fee_quote, target.value, carrier_accepted, charged=charged)
        if fee and record.fee is None:
            fields.update({"fee": fee, "charged_at": at})
    refund = refund_track.on_success(record, policy_for(record.policy)) \
        if target == InterceptStatus.intercepted else None
    return fields, refund
