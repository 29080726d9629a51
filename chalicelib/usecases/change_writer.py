"""The one way an interception record changes: write the lifecycle's `Change`.

Every status change and every after-sale track move (create, dispatch results, callbacks, polling,
cancel, needs_attention, operator redrive, refund decisions and timeouts) is built by
`chalicelib.domain.lifecycle` and committed here: the record update conditioned on the state it
was decided on, with its history event, in one transaction. The webhooks the change owes the
platform follow from the committed change through the table's stream (chalicelib/webhooks/relay.py).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.clock import from_iso
from chalicelib.domain import lifecycle, refund_track
from chalicelib.domain.changes import AfterSaleChange, Change
from chalicelib.domain.lifecycle import PARCEL_RELEASED
from chalicelib.domain.models import AfterSale, Intercept, RefundStatus
from chalicelib.rules.policies import policy_for
from chalicelib.store.after_sales import AfterSaleStore
from chalicelib.store.intercepts import IdempotencyRecord, InterceptStore


class ChangeWriter:
    def __init__(self, intercepts: InterceptStore, after_sales: AfterSaleStore | None = None) -> None:
        self._intercepts = intercepts
        self._after_sales = after_sales

    def create(self, change: Change, idempotency: IdempotencyRecord, now: datetime) -> None:
        """Write a new record (`lifecycle.started`). Raises IdempotencyKeyUsed, ParcelAlreadyIntercepted
        or ParcelClaimedElsewhere."""
        self._intercepts.create(change, idempotency, now, ended=PARCEL_RELEASED)

    def create_after_sale(self, after_sale: AfterSaleChange, records: list[Change], idempotency: IdempotencyRecord,
                          now: datetime) -> None:
        """Write a new after-sale of several parcels with its sent parcels' records (`lifecycle.started`).
        Raises IdempotencyKeyUsed, AfterSaleExists or TargetClaimed."""
        self._intercepts.create_after_sale(after_sale, records, idempotency, now)

    def commit(self, change: Change) -> Intercept:
        """Write a transition; the record as it now is. Raises StaleState (re-read and decide again).

        A status change of a parcel of an after-sale of several moves the after-sale in the same
        transaction: its parcel's standing, and the automatic refund once every sent parcel is
        intercepted. The after-sale is read for it (one GetItem, only for such parcels)."""
        if change.status_moved and change.after.refund_status == RefundStatus.with_after_sale \
                and self._after_sales is not None:
            change = replace(change, after_sale=self._after_sale_change(change))
        self._intercepts.apply(change)
        return change.after

    def commit_after_sale(self, change: AfterSaleChange) -> AfterSale:
        """Write a change of an after-sale alone (decision, timeout). Raises StaleState."""
        assert self._after_sales is not None
        self._after_sales.apply(change)
        return change.after

    def _after_sale_change(self, change: Change) -> AfterSaleChange | None:
        record = change.after
        sale = self._after_sales.get(record.platform_id, record.after_sale_id)
        if sale is None:
            return None
        parcels = [parcel.model_copy(update={"status": record.status.value, "result_reason": record.result_reason})
                   if parcel.intercept_id == record.id else parcel for parcel in sale.parcels]
        moved = sale.model_copy(update={"parcels": parcels})
        refund = refund_track.on_parcels(moved, policy_for(sale.policy))
        reason = f"parcel {record.carrier.value} {record.tracking_no}: {record.status.value}"
        if refund is not None:
            reason += "; every sent parcel intercepted: automatic refund"
        return lifecycle.transition(sale, to_refund=refund, source=change.event.source, reason=reason,
                                    now=from_iso(record.updated_at),
                                    changes={"parcels": parcels,
                                             **({"refund_decided_at": record.updated_at} if refund else {})})
