"""Carrier callbacks: verify, parse, apply, and answer in the carrier's own ack format.

A repeated push applies once without a receipt of its own: a result the record already has, or one
the lifecycle has moved past, changes nothing, and no status a result leads to can lead back to a
status from which that result applies again (tests/unit/test_lifecycle.py holds the tables to that).
"""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Mapping

from chalicelib.carriers.base import CallbackEvent, CarrierAdapter, HttpReply, InvalidCallback
from chalicelib.clock import Clock
from chalicelib.domain.models import EventSource
from chalicelib.store.refusals import StaleState
from chalicelib.usecases.carrier_results import Applied, CarrierResults, Reporter

if TYPE_CHECKING:
    from chalicelib.store.tracking import TrackingStore

log = logging.getLogger(__name__)


def handle_callback(adapters: Mapping[str, CarrierAdapter], results: CarrierResults, clock: Clock,
                    carrier: str, headers: Mapping[str, str], body: bytes,
                    tracking: TrackingStore | None = None) -> HttpReply:
    adapter = adapters.get(carrier)
    if adapter is None:
        return HttpReply(404, json.dumps({"error": {"code": "unknown_carrier", "message": f"no carrier {carrier}"}}))
    now = clock.now()
    try:
        event = adapter.parse_callback(headers, body, now)
    except InvalidCallback as error:
        log.warning("callback rejected", extra={"carrier": carrier, "problem": str(error)})
        return _with_status(adapter.callback_ack(False, str(error)), 401)
    intercept_id = event.intercept_id or results.holder_of_parcel(carrier, event.tracking_no)
    if event.scans and tracking is not None:
        try:
            _keep_scans(tracking, results, carrier, event, intercept_id)
        except StaleState:  # its tracking kept changing under us: the carrier's repeat merges it
            return _with_status(adapter.callback_ack(False, "busy: push again"), 503)
    if event.result is None or (not event.intercept_id and intercept_id is None):
        # a scan that decides nothing, or a route push about a parcel we hold no interception for
        # (such pushes cover every parcel of the account): taken, nothing to apply
        log.info("callback taken, nothing to apply", extra={"carrier": carrier, "event_id": event.event_id})
        return adapter.callback_ack(True)
    changes = {"result_reason": event.reason_code} if event.reason_code else {}
    applied = results.apply(
        intercept_id, event.result, source=EventSource.carrier,
        reason=event.message or event.reason_code or f"{carrier} reported {event.result.value}",
        changes=changes, reporter=Reporter(carrier, adapter.route, event.tracking_no))
    log.info("callback handled", extra={"carrier": carrier, "intercept_id": intercept_id,
                                        "result": event.result.value, "applied": applied.value})
    if applied in (Applied.unknown, Applied.mismatch):  # the same answer: nothing about other intercepts leaks
        return _with_status(adapter.callback_ack(False, "unknown order or tracking number"), 404)
    return adapter.callback_ack(True)


def _keep_scans(tracking: TrackingStore, results: CarrierResults, carrier: str, event: CallbackEvent,
                intercept_id: str | None) -> None:
    """Keep a push's scans with the interception that holds the parcel's claim (our own record of
    which interception the parcel is): an id a push names is taken only when it is that one. A
    failed write fails the callback (a lost merge race answers 503), so the carrier pushes again
    and nothing is lost."""
    holder = intercept_id if not event.intercept_id else results.holder_of_parcel(carrier, event.tracking_no)
    if holder is None or (event.intercept_id and holder != event.intercept_id):
        return
    written = tracking.add(holder, event.scans)
    log.info("tracking scans kept", extra={"carrier": carrier, "intercept_id": holder, "scans": written})


def _with_status(reply: HttpReply, status: int) -> HttpReply:
    return HttpReply(status, reply.body, reply.headers)
