"""The notify queue's two kinds of message, and the one place they are sent.

A new delivery is queued whole (`{"delivery": {...}}`: its id, intercept, platform, type and body),
so the notify worker creates its item on the first attempt; a stored delivery is queued again by
reference (`{"intercept_id", "message_id"}`), with the delay until it is due.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from chalicelib.queues import Queues


class WebhookOutbox:
    def __init__(self, queues: Queues, queue_name: str) -> None:
        self._queues = queues
        self._queue = queue_name

    def queue_new(self, deliveries: Iterable[dict]) -> None:
        """Queue deliveries not stored yet (the relay's). Raises on SQS failure."""
        self._send([{"delivery": delivery} for delivery in deliveries])

    def queue_again(self, deliveries: Iterable[dict], delay_seconds: int = 0) -> None:
        """Queue stored deliveries (anything with `intercept_id` and `id`) for their next attempt.
        Raises on SQS failure."""
        self._send([{"intercept_id": delivery["intercept_id"], "message_id": delivery["id"]}
                    for delivery in deliveries], delay_seconds)

    def _send(self, messages: list[dict], delay_seconds: int = 0) -> None:
        if messages:
            self._queues.send_all(self._queue, messages, delay_seconds=delay_seconds)
