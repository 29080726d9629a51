"""Carrier callbacks: verify, parse, apply once, and answer in the carrier's own ack format."""
from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Mapping

from chalicelib.carriers.base import CarrierAdapter, HttpReply, InvalidCallback
from chalicelib.clock import Clock
from chalicelib.domain.models import EventSource
from chalicelib.store import DuplicateCallback
from chalicelib.store.keys import callback_receipt
from chalicelib.usecases.carrier_results import Applied, CarrierResults

log = logging.getLogger(__name__)

#: Receipts outlive any carrier's retry window, then expire through the table's TTL.
RECEIPT_TTL = timedelta(days=14)


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
    receipt = {**callback_receipt(carrier, event.event_id), "expires_at": int((now + RECEIPT_TTL).timestamp())}
    changes = {"result_reason": event.reason_code} if event.reason_code else {}
    try:
        applied = results.apply(
            event.intercept_id, event.result, source=EventSource.carrier,
            reason=event.message or event.reason_code or f"{carrier} reported {event.result.value}",
            changes=changes, receipt=receipt, tracking_no=event.tracking_no)
    except DuplicateCallback:
        applied = Applied.unchanged
    log.info("callback handled", extra={"carrier": carrier, "intercept_id": event.intercept_id,
                                        "result": event.result.value, "applied": applied.value})
    if applied == Applied.unknown:
        return _with_status(adapter.callback_ack(False, "unknown order or tracking number"), 404)
    return adapter.callback_ack(True)


def _with_status(reply: HttpReply, status: int) -> HttpReply:
    return HttpReply(status, reply.body, reply.headers)
