"""Every two minutes: ask the carrier about intercepts it holds with no result for a while
(`submitted`, and `cancel_requested`, whose withdrawal the carrier may have refused because it acted).

The fallback for a callback that never came (carrier push lost, our endpoint down). What the
carrier says goes through the same lifecycle as a callback, so a result that arrives by both
paths is applied once. A carrier that cannot answer is skipped until the next run; one whose
circuit is open is not asked at all.

Each carrier asked is asked for the parcel's tracking too; the scans not kept yet are kept.

A route that publishes no status query (kuaidi100: results only by callback) is never asked; a
`submitted` intercept of such a route that has heard nothing for `callback_deadline_seconds` is
set `needs_attention`, so an operator chases the result instead of it waiting silently.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Callable, Mapping

from chalicelib.carriers.base import CarrierResult, CarrierUnavailable, InterceptOrder
from chalicelib.clock import Clock, from_iso
from chalicelib.domain.models import EventSource, InterceptStatus
from chalicelib.store.refusals import StaleState
from chalicelib.usecases.carrier_results import Applied, CarrierResults, Reporter

if TYPE_CHECKING:
    from chalicelib.carriers.base import CarrierAdapter
    from chalicelib.dispatch.accounts import MerchantAccounts
    from chalicelib.dispatch.circuit_breaker import CircuitBreaker
    from chalicelib.store.intercepts import InterceptStore
    from chalicelib.store.tracking import TrackingStore

log = logging.getLogger(__name__)

#: The statuses in which the carrier holds an instruction and owes us its result.
POLLED = (InterceptStatus.submitted, InterceptStatus.cancel_requested)


def poll_overdue_results(intercepts: InterceptStore, adapters: Mapping[str, CarrierAdapter], results: CarrierResults,
                         clock: Clock, callback_url: Callable[[str], str], older_than_seconds: int,
                         breaker: CircuitBreaker | None = None, limit: int = 50,
                         callback_deadline_seconds: int = 6 * 3600,
                         tracking: TrackingStore | None = None,
                         accounts: MerchantAccounts | None = None) -> dict[str, int]:
    """`accounts`: the merchants' own carrier accounts, which a route's status query carries as its
    submission did (jumdata, J&T, JD)."""
    now = clock.now()
    changed_before = now - timedelta(seconds=older_than_seconds)
    callback_due_before = now - timedelta(seconds=callback_deadline_seconds)
    counts = {"polled": 0, "applied": 0, "unchanged": 0, "skipped": 0, "callback_overdue": 0, "scans_kept": 0}
    overdue = [record for status in POLLED for record in intercepts.open(status, changed_before, limit)][:limit]
    for record in overdue:
        carrier = record.carrier.value
        adapter = adapters.get(carrier)
        if adapter is not None and adapter.route != record.route:
            log.warning("not polled: the carrier is configured over another route than the intercept was sent",
                        extra={"security": True, "intercept_id": record.id, "carrier": carrier,
                               "route": adapter.route, "sent_over": record.route})
            adapter = None
        if adapter is not None and not adapter.can_poll:
            if record.status == InterceptStatus.submitted and from_iso(record.updated_at) <= callback_due_before:
                reason = (f"no result from {adapter.route} within {callback_deadline_seconds} s; it answers only "
                          "by callback and has no status query")
                if results.overdue(record, reason) == Applied.applied:
                    counts["callback_overdue"] += 1
                    continue
            counts["skipped"] += 1
            continue
        admission = breaker.admit(carrier) if breaker is not None and adapter is not None else None
        if adapter is None or (admission is not None and not admission.allowed):
            counts["skipped"] += 1
            continue
        try:
            order = InterceptOrder(intercept_id=record.id, tracking_no=record.tracking_no, reason=record.reason,
                                   callback_url=callback_url(carrier), carrier_ref=record.carrier_ref,
                                   account=accounts.for_record(record) if accounts else None)
            outcome = adapter.query_intercept(order)
        except CarrierUnavailable as error:
            log.warning("poll failed", extra={"intercept_id": record.id, "carrier": carrier, "error": str(error)})
            if breaker is not None:
                breaker.record_failure(carrier)
            counts["skipped"] += 1
            continue
        if breaker is not None and admission is not None:
            breaker.record_success(carrier, admission)
        counts["polled"] += 1
        if tracking is not None:
            counts["scans_kept"] += _keep_tracking(tracking, adapter, record.id, record.tracking_no)
        if outcome.result == CarrierResult.accepted:
            counts["unchanged"] += 1
            continue
        changes = {"result_reason": outcome.reason_code} if outcome.reason_code else {}
        applied = results.apply(
            record.id, outcome.result, source=EventSource.schedule, changes=changes, last_read=record,
            reporter=Reporter(carrier, adapter.route), charged=outcome.fee,
            reason=outcome.message or outcome.reason_code or f"{carrier} reported {outcome.result.value} when polled")
        counts["applied" if applied == Applied.applied else "unchanged"] += 1
    if counts["callback_overdue"]:
        log.warning("callbacks overdue from routes that cannot be polled", extra=counts)
    if counts["applied"]:
        log.warning("results found by polling: callbacks were missing", extra=counts)
    return counts


def _keep_tracking(tracking: TrackingStore, adapter: CarrierAdapter, intercept_id: str, tracking_no: str) -> int:
    """Ask the carrier's tracking too and keep the scans not kept yet; a tracking query that fails
    only leaves the history as it was until the next run."""
    try:
        scans = adapter.query_tracking(tracking_no).scans
    except CarrierUnavailable as error:
        log.warning("tracking query failed", extra={"intercept_id": intercept_id, "error": str(error)})
        return 0
    try:
        return tracking.add(intercept_id, scans)
    except StaleState:  # a push is merging scans into it right now: the next run adds these
        log.warning("tracking changed while merging", extra={"intercept_id": intercept_id})
        return 0
