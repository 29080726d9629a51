"""Moving a queue's dead-lettered messages back onto it (POST /v1/operations/queues/{name}/redrive
and `gatewayctl queues redrive`).

A message leaves the DLQ only after what replaces it is on the main queue: a crash in between
leaves it in the DLQ (visible again after RECEIVE_VISIBILITY_SECONDS) to be moved by the next
redrive, and a second copy of a dispatch is harmless (the worker leases the record before it calls
the carrier). A dispatch message first reopens its intercept (`needs_attention` -> `pending`, a
conditional write) so the worker calls the carrier again; one whose intercept has moved on (a
result or a cancel came meanwhile) is dropped, there being nothing left to do. An unreadable
message and a withdrawal the worker gave up on (its record says `unconfirmed`) are left in the
DLQ for a person to look at. A notify message reopens its exhausted delivery (`exhausted` ->
`pending`, due now, a new retry window) so the worker sends it again; one delivered or reopened
meanwhile is dropped or sent as it is.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from chalicelib.clock import Clock
from chalicelib.config import dead_letter_queue
from chalicelib.domain import lifecycle
from chalicelib.domain.models import EventSource, Intercept, InterceptStatus
from chalicelib.queues import QueueMessage, Queues, dispatch_message
from chalicelib.store import StaleState
from chalicelib.store.deliveries import DeliveryStatus, DeliveryStore
from chalicelib.store.intercepts import InterceptStore
from chalicelib.usecases.change_writer import ChangeWriter

#: A received message stays hidden this long: longer than a redrive request may run (29 s).
RECEIVE_VISIBILITY_SECONDS = 60


@dataclass
class RedriveResult:
    moved: int = 0
    dropped: int = 0  # dispatch work already finished: deleted from the DLQ, not sent
    left: int = 0     # unreadable, a withdrawal, or refused by SQS: still in the DLQ

    @property
    def handled(self) -> int:
        return self.moved + self.dropped + self.left


#: What to do with one dead-lettered message: send this body, drop it, or leave it.
DROP, LEAVE = "drop", "leave"


class Redrive:
    def __init__(self, queues: Queues, intercepts: InterceptStore, deliveries: DeliveryStore, changes: ChangeWriter,
                 clock: Clock, *, dispatch_queue: str, notify_queue: str) -> None:
        self._queues = queues
        self._intercepts = intercepts
        self._deliveries = deliveries
        self._changes = changes
        self._clock = clock
        self._dispatch_queue = dispatch_queue
        self._notify_queue = notify_queue

    def run(self, queue: str, max_messages: int, progress: Callable[[int], None] = lambda handled: None) -> RedriveResult:
        """Move up to `max_messages` from `queue`'s DLQ back to `queue`; `progress` hears of each batch."""
        dlq, result = dead_letter_queue(queue), RedriveResult()
        while result.handled < max_messages:
            batch = self._queues.receive(dlq, max_messages - result.handled, RECEIVE_VISIBILITY_SECONDS)
            if not batch:
                break
            decided = [(message, self._replacement(queue, message)) for message in batch]
            outgoing = [(message, body) for message, body in decided if body not in (DROP, LEAVE)]
            sent = self._queues.send_bodies(queue, [body for _, body in outgoing]) if outgoing else []
            moved = [message for (message, _), taken in zip(outgoing, sent) if taken]
            dropped = [message for message, body in decided if body == DROP]
            self._queues.delete(dlq, [message.receipt_handle for message in moved + dropped])
            result.moved += len(moved)
            result.dropped += len(dropped)
            result.left += len(batch) - len(moved) - len(dropped)
            progress(len(batch))
        return result

    def _replacement(self, queue: str, message: QueueMessage) -> str:
        if queue == self._notify_queue:
            return self._reopened_delivery(message.body)
        if queue != self._dispatch_queue:
            return message.body
        work = _dispatch_work(message.body)
        if work is None or work[1] != "intercept":
            return LEAVE
        reopened = reopen_for_dispatch(self._intercepts, self._changes, self._clock, work[0])
        if reopened is None:
            return DROP
        return json.dumps(dispatch_message(reopened.id, "intercept", reopened.carrier.value), separators=(",", ":"))


    def _reopened_delivery(self, body: str) -> str:
        delivery = _delivery_ref(body)
        if delivery is None:
            return LEAVE
        intercept_id, message_id = delivery
        if not self._deliveries.reopen(intercept_id, message_id, self._clock.now()):
            found = self._deliveries.get(intercept_id, message_id)
            if found is None or found["status"] != DeliveryStatus.pending:
                return DROP  # delivered, or its endpoint gone: nothing to send
        return json.dumps({"intercept_id": intercept_id, "message_id": message_id}, separators=(",", ":"))


def reopen_for_dispatch(intercepts: InterceptStore, changes: ChangeWriter, clock: Clock,
                        intercept_id: str) -> Intercept | None:
    """Put a `needs_attention` intercept back to `pending` with a fresh attempt count, so the worker
    calls the carrier again; the record, or None when it has moved on (a result or a cancel came
    meanwhile). One already `pending` (reopened by a redrive that stopped before its send) is
    answered as it is."""
    record = intercepts.get(intercept_id)
    if record is None or record.status not in (InterceptStatus.needs_attention, InterceptStatus.pending):
        return None
    if record.status == InterceptStatus.pending:
        return record
    try:
        return changes.commit(lifecycle.transition(
            record, to_status=InterceptStatus.pending, source=EventSource.operator,
            reason="redriven from the dead-letter queue by an operator", now=clock.now(),
            changes={"dispatch_attempts": 0, "dispatch_lease_until": None}))
    except StaleState:
        return None


def _dispatch_work(body: str) -> tuple[str, str] | None:
    """The intercept id and action of a dispatch message; None when it is unreadable."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("intercept_id"), str):
        return None
    return data["intercept_id"], data.get("action", "intercept")


def _delivery_ref(body: str) -> tuple[str, str] | None:
    """The intercept id and delivery id of a dead-lettered notify message; None when unreadable."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(name), str) and data[name]
                                             for name in ("intercept_id", "message_id")):
        return None
    return data["intercept_id"], data["message_id"]
