"""The interception state machine and the after-sale track's moves, and `transition`: the one
function every status change goes through.

A carrier's result may overtake our own record of the submission (a fast callback arrives before the
worker writes `submitted`), so carrier results are accepted from `pending` too. Terminal statuses
never change again, so a late or duplicated carrier message cannot undo a result or a cancel.

A cancel is `cancelled` at once only while no carrier call was ever made (`pending` with no
attempt: the write is conditioned on that). Once the carrier has, or may have, the instruction,
a cancel is `cancel_requested` until the carrier confirms the withdrawal (`cancelled`) or its
result arrives first (`intercepted` / `failed`, applied with its fee and webhooks): the record
never contradicts what the carrier did.
The after-sale track moves once, out of `awaiting_result`.

`transition` refuses any move these tables do not hold (TransitionNotAllowed) and returns the
`Change` for the store to write; `started` is the first change of a new record.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.clock import to_iso
from chalicelib.domain import deadlines
from chalicelib.domain.changes import AfterSaleChange, Change
from chalicelib.domain.models import (
    INITIAL,
    KEPT_APART,
    AfterSale,
    AfterSaleEvent,
    AfterSaleParcel,
    Event,
    EventSource,
    Intercept,
    created_event,
)
from chalicelib.domain.models import InterceptStatus as S
from chalicelib.domain.models import RefundStatus as R

ALLOWED: dict[S, frozenset[S]] = {
    S.pending: frozenset({S.submitted, S.intercepted, S.failed, S.cancel_requested, S.cancelled, S.needs_attention}),
    S.submitted: frozenset({S.intercepted, S.failed, S.cancel_requested, S.needs_attention}),
    S.needs_attention: frozenset({S.pending, S.submitted, S.intercepted, S.failed, S.cancel_requested}),
    S.cancel_requested: frozenset({S.cancelled, S.intercepted, S.failed}),
    S.intercepted: frozenset({S.returned}),
    S.returned: frozenset(),
    S.failed: frozenset(),
    S.cancelled: frozenset(),
}

REFUND_ALLOWED: dict[R, frozenset[R]] = {
    R.awaiting_result: frozenset({R.refund_auto, R.refund_agreed, R.refund_refused, R.refund_timeout, R.arbitration,
                                  R.refund_partial}),
    **{decided: frozenset() for decided in R if decided != R.awaiting_result},
}

#: A merchant may cancel only while no carrier result exists: every cancel may have to become a
#: request to the carrier (`pending` may also be `cancelled` at once, see the module docstring).
CANCELLABLE = frozenset(status for status, targets in ALLOWED.items() if S.cancel_requested in targets)

#: A carrier result that ends the interception successfully (no refusal of the refund after one).
SUCCEEDED = frozenset({S.intercepted, S.returned})

#: Statuses that hold the carrier's final word on the interception.
RESULTS = SUCCEEDED | {S.failed}

#: Statuses in which the carrier holds no instruction for the parcel any more and never stopped it:
#: another platform may then claim the parcel (a physical parcel has one active interception).
PARCEL_RELEASED = frozenset({S.failed.value, S.cancelled.value})

#: Statuses with no carrier result yet (one may still come): the polling and requeue sweeps look at these.
OPEN = frozenset(status for status, targets in ALLOWED.items() if S.intercepted in targets)


class TransitionNotAllowed(Exception):
    def __init__(self, record: Intercept | AfterSale, to_status: S | None, to_refund: R | None) -> None:
        status = getattr(record, "status", None)
        moves = [f"status {status.value if status else 'none'} -> {to_status.value}" if to_status else "",
                 f"refund {record.refund_status.value} -> {to_refund.value}" if to_refund else ""]
        super().__init__(f"{record.id}: {' and '.join(move for move in moves if move) or 'no move'} is not allowed")


def can_move(current: S, target: S) -> bool:
    return target in ALLOWED[current]


def can_move_refund(current: R, target: R) -> bool:
    return target in REFUND_ALLOWED[current]


def started(record: Intercept) -> Change:
    """The change that creates `record`; it carries its first history event, the one the record's
    own fields give (`created_event`)."""
    event = created_event(record.created_at, record.reason)
    if record.status != INITIAL or record.events != [event]:
        raise ValueError(f"a new record starts {INITIAL.value} with its created_event as its history")
    return Change(before=None, after=record, event=event, fields={}, open=record.status in OPEN,
                  refund_due=deadlines.running(record))


def as_stored(record: Intercept) -> Change:
    """A change that writes `record` as it stands, with the index entries its state calls for: for
    fixtures, imports and benchmarks that put records directly (`store.intercepts.record_values`)."""
    return Change(before=None, after=record, event=record.events[0] if record.events else None, fields={},
                  open=record.status in OPEN, refund_due=deadlines.running(record))


def transition(record: Intercept | AfterSale, *, to_status: S | None = None, to_refund: R | None = None, source: EventSource,
               reason: str, now: datetime, changes: dict[str, Any] | None = None,
               expected: dict[str, Any] | None = None) -> Change:
    """Move the status and/or the after-sale track of `record`, with `changes` to other fields
    (None removes one). `expected` names other fields the decision read, whose stored values must
    still be those. Raises TransitionNotAllowed for a move the tables do not hold.

    An `AfterSale` (several parcels) moves only its refund track (`to_refund`) and its parcels'
    standing (`changes={"parcels": ...}`); it returns an `AfterSaleChange`."""
    if isinstance(record, AfterSale):
        if to_status is not None or expected:
            raise TransitionNotAllowed(record, to_status, to_refund)
        return _after_sale_transition(record, to_refund=to_refund, source=source, reason=reason, now=now,
                                      changes=changes or {})
    status_moves = to_status is not None
    refund_moves = to_refund is not None
    if (not status_moves and not refund_moves) \
            or (status_moves and not can_move(record.status, to_status)) \
            or (refund_moves and not can_move_refund(record.refund_status, to_refund)):
        raise TransitionNotAllowed(record, to_status, to_refund)
    at = to_iso(now)
    event = Event(at=at, source=source, from_status=record.status, to_status=to_status or record.status,
                  reason=reason, **({"from_refund_status": record.refund_status, "to_refund_status": to_refund}
                                    if refund_moves else {}))
    fields: dict[str, Any] = {"updated_at": at, **(changes or {})}
    if status_moves:
        fields["status"] = to_status
    if refund_moves:
        fields["refund_status"] = to_refund
    after = Intercept.model_validate({**record.model_dump(exclude=KEPT_APART), **fields,
                                      "version": record.version + 1})
    after.events = [*record.events, event]
    after.claims, after.tracking = record.claims, record.tracking
    return Change(before=record, after=after, event=event, fields=fields, open=after.status in OPEN,
                  refund_due=deadlines.running(after), expected=dict(expected or {}))


def after_sale_started(after_sale: AfterSale) -> AfterSaleChange:
    """The change that creates an after-sale of several parcels."""
    return AfterSaleChange(before=None, after=after_sale, event=after_sale.events[0] if after_sale.events else None,
                           fields={}, refund_due=after_sale.refund_status == R.awaiting_result)


def _after_sale_transition(after_sale: AfterSale, *, to_refund: R | None, source: EventSource, reason: str,
                           now: datetime, changes: dict[str, Any]) -> AfterSaleChange:
    if to_refund is None and "parcels" not in changes:
        raise TransitionNotAllowed(after_sale, None, None)
    if to_refund is not None and not can_move_refund(after_sale.refund_status, to_refund):
        raise TransitionNotAllowed(after_sale, None, to_refund)
    at = to_iso(now)
    event = AfterSaleEvent(at=at, source=source, reason=reason,
                           **({"from_refund_status": after_sale.refund_status, "to_refund_status": to_refund}
                              if to_refund is not None else {}))
    fields: dict[str, Any] = {"updated_at": at, **changes}
    if to_refund is not None:
        fields["refund_status"] = to_refund
    parcels = [AfterSaleParcel.model_validate(parcel) if isinstance(parcel, dict) else parcel
               for parcel in fields.get("parcels", after_sale.parcels)]
    after = AfterSale.model_validate({**after_sale.model_dump(exclude={"events", "parcels"}),
                                      **{name: value for name, value in fields.items() if name != "parcels"},
                                      "parcels": [parcel.model_dump() for parcel in parcels],
                                      "version": after_sale.version + 1})
    after.events = [*after_sale.events, event]
    return AfterSaleChange(before=after_sale, after=after, event=event, fields=fields,
                           refund_due=after.refund_status == R.awaiting_result)
