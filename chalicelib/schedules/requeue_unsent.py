"""Every minute: send again the dispatch message of intercepts still `pending` with no carrier
attempt, and the withdrawal of `cancel_requested` ones with no withdrawal attempt.

That is the trace of an enqueue that failed after the record was committed. An intercept with
attempts already has a live message (or has been moved to the DLQ), so it is left alone; a
duplicate message would be harmless anyway, since the dispatch and cancel leases admit one
carrier call.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from chalicelib.clock import Clock
from chalicelib.domain.models import InterceptStatus
from chalicelib.queues import dispatch_message

if TYPE_CHECKING:  # this schedule loads neither carriers nor the lifecycle services
    from chalicelib.queues import Queues
    from chalicelib.store.intercepts import InterceptStore

log = logging.getLogger(__name__)


def requeue_unsent(intercepts: InterceptStore, queues: Queues, clock: Clock, dispatch_queue: str,
                   older_than_seconds: int, limit: int = 100) -> int:
    changed_before = clock.now() - timedelta(seconds=older_than_seconds)
    sent = 0
    for record in intercepts.open(InterceptStatus.pending, changed_before, limit):
        if record.dispatch_attempts:
            continue
        queues.send(dispatch_queue, dispatch_message(record.id, "intercept", record.carrier.value))
        sent += 1
    for record in intercepts.open(InterceptStatus.cancel_requested, changed_before, limit):
        if record.cancel_attempts or record.carrier_cancel:
            continue
        queues.send(dispatch_queue, dispatch_message(record.id, "cancel", record.carrier.value))
        sent += 1
    if sent:
        log.warning("requeued unsent dispatch messages", extra={"count": sent})
    return sent
