"""Every minute: apply `refund_timeout` to intercepts whose processing window ended without a decision.

Reads only due items (the sparse `refund_due` index, key condition on the deadline), at most
`batch`. An applied timeout removes the item from the index, so the next run starts where this one
stopped. A write conditioned on `awaiting_result` makes a second or concurrent run a no-op.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.clock import Clock

if TYPE_CHECKING:
    from chalicelib.store.intercepts import InterceptStore
    from chalicelib.usecases.refund_decisions import RefundDecisions

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    due: int          # due items the index returned
    timed_out: int    # refund_timeout applied by this run
    scanned: int      # items DynamoDB read (ScannedCount)


def sweep_refund_deadlines(intercepts: InterceptStore, decisions: RefundDecisions, clock: Clock,
                           batch: int = 100) -> SweepReport:
    due, scanned = intercepts.due_refunds(clock.now(), batch)
    timed_out = sum(1 for record in due if decisions.time_out(record))
    if timed_out:
        log.info("refund deadlines applied", extra={"count": timed_out})
    return SweepReport(due=len(due), timed_out=timed_out, scanned=scanned)
