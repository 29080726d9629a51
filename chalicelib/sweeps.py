"""Scheduled sweeps. Each reads only the items it must act on through a sparse index."""
from __future__ import annotations

import logging
from datetime import timedelta

from chalicelib.clock import Clock
from chalicelib.models import InterceptStatus
from chalicelib.queues import Queues
from chalicelib.store import Store

log = logging.getLogger(__name__)


def requeue_unsent(store: Store, queues: Queues, clock: Clock, dispatch_queue: str, older_than_seconds: int,
                   limit: int = 100) -> int:
    """Send again the dispatch message of intercepts still `pending` with no carrier attempt.

    That is the trace of an enqueue that failed after the record was committed. An intercept with
    attempts already has a live message (or has been moved to the DLQ), so it is left alone; a
    duplicate message would be harmless anyway, since the dispatch lease admits one carrier call.
    """
    changed_before = clock.now() - timedelta(seconds=older_than_seconds)
    sent = 0
    for record in store.open_intercepts(InterceptStatus.pending, changed_before, limit):
        if record.dispatch_attempts:
            continue
        queues.send(dispatch_queue, {"intercept_id": record.id, "action": "intercept"})
        sent += 1
    if sent:
        log.warning("requeued unsent dispatch messages", extra={"count": sent})
    return sent
