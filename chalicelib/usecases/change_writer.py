"""The one way an interception record changes: write the lifecycle's `Change`.

Every status change and every after-sale track move (create, dispatch results, callbacks, polling,
cancel, needs_attention, operator redrive, refund decisions and timeouts) is built by
`chalicelib.domain.lifecycle` and committed here: the record update conditioned on the state it
was decided on, with its history event, in one transaction. The webhooks the change owes the
platform follow from the committed change through the table's stream (chalicelib/webhooks/relay.py).
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.changes import Change
from chalicelib.domain.lifecycle import PARCEL_RELEASED
from chalicelib.domain.models import Intercept
from chalicelib.store.intercepts import IdempotencyRecord, InterceptStore


class ChangeWriter:
    def __init__(self, intercepts: InterceptStore) -> None:
        self._intercepts = intercepts

    def create(self, change: Change, idempotency: IdempotencyRecord, now: datetime) -> None:
        """Write a new record (`lifecycle.started`). Raises IdempotencyKeyUsed, ParcelAlreadyIntercepted
        or ParcelClaimedElsewhere."""
        self._intercepts.create(change, idempotency, now, ended=PARCEL_RELEASED)

    def commit(self, change: Change) -> Intercept:
        """Write a transition; the record as it now is. Raises StaleState (re-read and decide again)."""
        self._intercepts.apply(change)
        return change.after
