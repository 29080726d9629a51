"""A change of an interception record, as the lifecycle decided it and the store writes it.

Built only by `chalicelib.domain.lifecycle` (`started`, `transition`), so every change that reaches
the store has passed the state machine. The store reads the decisions it needs for its indexes
(`open`, `refund_due`) from here and imports no lifecycle rule itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.models import AfterSale, AfterSaleEvent, Event, Intercept


@dataclass(frozen=True)
class Change:
    #: the record as the decision read it (None: the record is new); the write is conditioned on it
    before: Intercept | None
    #: the record once the change is applied (with `event` appended to its history)
    after: Intercept
    #: the history entry of this change
    event: Event
    #: the attributes the change sets; None removes the attribute
    fields: dict[str, Any]
    #: no carrier result yet: listed for the sweeps (open_work index)
    open: bool
    #: the refund deadline is running: listed for the deadline sweep (refund_due index)
    refund_due: bool
    #: further attributes the decision was taken on (name -> the value it read): the write is
    #: conditioned on them too, besides the status
    expected: dict[str, Any] = field(default_factory=dict)
    #: the after-sale this record is a parcel of, when the change moves it too (same transaction)
    after_sale: "AfterSaleChange | None" = None

    @property
    def status_moved(self) -> bool:
        return self.before is None or self.before.status != self.after.status

    @property
    def refund_moved(self) -> bool:
        return self.before is not None and self.before.refund_status != self.after.refund_status


@dataclass(frozen=True)
class AfterSaleChange:
    """A change of an after-sale of several parcels: its parcels' standing and/or its refund track.
    Written conditioned on the version it was decided on (one small item: races re-read and decide
    again), alone or in the transaction of the parcel's own change that caused it."""

    before: AfterSale | None
    after: AfterSale
    event: AfterSaleEvent | None
    fields: dict[str, Any]
    refund_due: bool

    @property
    def refund_moved(self) -> bool:
        return self.before is not None and self.before.refund_status != self.after.refund_status
