"""Every minute, the outbox sweep: queue webhook deliveries whose retry was delayed beyond what an
SQS delay can hold, once they are due."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from chalicelib.clock import Clock

if TYPE_CHECKING:
    from chalicelib.store.deliveries import DeliveryStore
    from chalicelib.webhooks.outbox import WebhookOutbox

log = logging.getLogger(__name__)


def resend_due_webhooks(deliveries: DeliveryStore, outbox: WebhookOutbox, clock: Clock, limit: int = 100) -> int:
    due = deliveries.due(clock.now(), limit)
    outbox.queue_again(due)
    if due:
        log.info("queued due webhook deliveries", extra={"count": len(due)})
    return len(due)
