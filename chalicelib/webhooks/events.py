"""The webhook events a state change emits: `{type, timestamp, data}`, one per change.

The relay (relay.py) derives them from every committed change of an interception, its after-sale
track or a claim, read from the table's stream, so no writer can forget one.
"""
from __future__ import annotations

import json

from chalicelib.domain.models import AfterSale, Claim, Intercept, InterceptStatus, RefundStatus

STATUS_EVENTS = {
    InterceptStatus.pending: "intercept.pending",
    InterceptStatus.submitted: "intercept.submitted",
    InterceptStatus.intercepted: "intercept.succeeded",
    InterceptStatus.returned: "intercept.returned",
    InterceptStatus.failed: "intercept.failed",
    InterceptStatus.cancel_requested: "intercept.cancel_requested",
    InterceptStatus.cancelled: "intercept.cancelled",
    InterceptStatus.needs_attention: "intercept.needs_attention",
}

REFUND_EVENTS = {
    RefundStatus.refund_auto: "refund.auto",
    RefundStatus.refund_agreed: "refund.agreed",
    RefundStatus.refund_refused: "refund.refused",
    RefundStatus.refund_timeout: "refund.timeout",
    RefundStatus.arbitration: "refund.arbitration",
    RefundStatus.refund_paid_upfront: "refund.paid_upfront",
    RefundStatus.refund_partial: "refund.partial",
}

#: An after-sale of several parcels: created, a parcel's result counted, its refund track moved.
AFTER_SALE_REFUND_EVENTS = {status: "after_sale." + name.removeprefix("refund.")
                            for status, name in REFUND_EVENTS.items()}


def envelope(event_type: str, timestamp: str, data: dict) -> str:
    return json.dumps({"type": event_type, "timestamp": timestamp, "data": data}, ensure_ascii=False,
                      separators=(",", ":"))


def intercept_events(before: Intercept | None, after: Intercept, at: str) -> list[tuple[str, str]]:
    """(type, body) for each change between `before` (None: just created) and `after`."""
    data = {"intercept": after.public(with_events=False)}
    if before is None:
        return [("intercept.created", envelope("intercept.created", at, data))]
    found = []
    if before.status != after.status:
        found.append(STATUS_EVENTS[InterceptStatus(after.status)])
    if before.refund_status != after.refund_status:
        found.append(REFUND_EVENTS[RefundStatus(after.refund_status)])
    return [(event_type, envelope(event_type, at, data)) for event_type in found]


def claim_event(claim: Claim, at: str) -> tuple[str, str]:
    event_type = f"claim.{claim.status.value}" if claim.status.value != "open" else "claim.opened"
    return event_type, envelope(event_type, at, {"intercept_id": claim.intercept_id,
                                                 "claim": claim.model_dump(mode="json")})


def after_sale_events(before: AfterSale | None, after: AfterSale, at: str) -> list[tuple[str, str]]:
    """(type, body) for each change of an after-sale of several parcels: `after_sale.created`,
    `after_sale.parcels_changed` (a parcel's result: the counts moved), `after_sale.<refund>`."""
    body = after.public()
    body.pop("events", None)
    data = {"after_sale": body}
    if before is None:
        return [("after_sale.created", envelope("after_sale.created", at, data))]
    found = []
    if before.counts() != after.counts():
        found.append("after_sale.parcels_changed")
    if before.refund_status != after.refund_status:
        found.append(AFTER_SALE_REFUND_EVENTS[RefundStatus(after.refund_status)])
    return [(event_type, envelope(event_type, at, data)) for event_type in found]
