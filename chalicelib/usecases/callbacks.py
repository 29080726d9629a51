"""Carrier callbacks: verify, parse, apply, and answer in the carrier's own ack format.

A repeated push applies once without a receipt of its own: a result the record already has, or one
the lifecycle has moved past, changes nothing, and no status a result leads to can lead back to a
status from which that result applies again (tests/unit/test_lifecycle.py holds the tables to that).
"""
from __future__ import annotations

import json
import logging
from typing import Mapping

from chalicelib.carriers.base import CarrierAdapter, HttpReply, InvalidCallback
from chalicelib.clock import Clock
from chalicelib.domain.models import EventSource
from chalicelib.usecases.carrier_results import Applied, CarrierResults, Reporter

log = logging.getLogger(__name__)


def handle_callback(adapters: Mapping[str, CarrierAdapter], results: CarrierResults, clock: Clock,
                    carrier: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
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


def _with_status(reply: HttpReply, status: int) -> HttpReply:
    return HttpReply(status, reply.body, reply.headers)
