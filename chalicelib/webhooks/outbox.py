"""The webhook outbox's queue side: hand committed deliveries to the notify queue.

Every change writes its deliveries in its own transaction (chalicelib/store/deliveries.py), then
publishes them here. A failed hand-over loses nothing: the outbox sweep
(chalicelib/schedules/resend_webhooks.py) queues deliveries still pending after a grace period.
Inside `collected()` deliveries are gathered and queued together on the way out, ten to a request.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Iterable, Iterator

if TYPE_CHECKING:
    from chalicelib.queues import Queues

log = logging.getLogger(__name__)

#: Deliveries waiting to be queued together, inside `WebhookOutbox.collected()`.
_collecting: ContextVar[list[dict] | None] = ContextVar("webhook_deliveries_collecting", default=None)


class WebhookOutbox:
    def __init__(self, queues: Queues, queue_name: str) -> None:
        self._queues = queues
        self._queue = queue_name

    def enqueue(self, deliveries: Iterable[dict], delay_seconds: int = 0) -> None:
        """Queue `{"intercept_id", "id"}` references for the notify worker. Raises on SQS failure."""
        collecting = _collecting.get()
        if collecting is not None and not delay_seconds:
            collecting.extend(deliveries)
            return
        messages = [{"intercept_id": delivery["intercept_id"], "message_id": delivery["id"]} for delivery in deliveries]
        if messages:
            self._queues.send_all(self._queue, messages, delay_seconds=delay_seconds)

    def publish(self, deliveries: list[dict]) -> None:
        """Queue the deliveries a change has just committed; a failure is logged, not raised (the
        change stands, and the outbox sweep sends them)."""
        if not deliveries:
            return
        try:
            self.enqueue(deliveries)
        except Exception:  # noqa: BLE001 - the outbox sweep sends what was not queued
            log.exception("queueing webhook deliveries failed; the outbox sweep will send them")

    @contextmanager
    def collected(self) -> Iterator[None]:
        """Within, deliveries are gathered and queued together on the way out, ten to a request:
        for a worker that commits a batch of changes in one invocation. Threads started within
        must run in a copy of this context. Deliveries whose queueing fails (or that a crash
        never queues) are sent by the outbox sweep."""
        gathered: list[dict] = []
        token = _collecting.set(gathered)
        try:
            yield
        finally:
            _collecting.reset(token)
            try:
                self.enqueue(gathered)
            except Exception:  # noqa: BLE001 - the outbox sweep sends what was not queued
                log.exception("queueing webhook deliveries failed; the outbox sweep will send them",
                              extra={"count": len(gathered)})
