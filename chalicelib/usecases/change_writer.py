"""The one way an interception record changes: write the lifecycle's `Change` with its webhooks.

Every status change and every after-sale track move (create, dispatch results, callbacks, polling,
cancel, needs_attention, operator redrive, refund decisions and timeouts) is built by
`chalicelib.domain.lifecycle` and committed here: the webhook events it emits are derived from the
change, written in the same transaction (the outbox), then queued.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.changes import Change
from chalicelib.domain.lifecycle import PARCEL_RELEASED
from chalicelib.domain.models import Intercept
from chalicelib.store.intercepts import IdempotencyRecord, InterceptStore
from chalicelib.webhooks.events import intercept_events
from chalicelib.webhooks.outbox import WebhookOutbox


class ChangeWriter:
    def __init__(self, intercepts: InterceptStore, outbox: WebhookOutbox) -> None:
        self._intercepts = intercepts
        self._outbox = outbox

    def create(self, change: Change, idempotency: IdempotencyRecord, now: datetime) -> None:
        """Write a new record (`lifecycle.started`). Raises IdempotencyKeyUsed, ParcelAlreadyIntercepted
        or ParcelClaimedElsewhere."""
        deliveries = self._intercepts.create(change, idempotency, _webhooks(change), now, ended=PARCEL_RELEASED)
        self._outbox.publish(deliveries)

    def commit(self, change: Change, now: datetime) -> Intercept:
        """Write a transition; the record as it now is. Raises StaleState (re-read and decide again)."""
        deliveries = self._intercepts.apply(change, _webhooks(change), now)
        self._outbox.publish(deliveries)
        return change.after


def _webhooks(change: Change) -> list[tuple[str, str]]:
    return intercept_events(change.before, change.after, change.event.at)
