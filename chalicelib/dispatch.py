"""The dispatch worker: takes interception messages off the queue and calls the carrier.

Each message is one unit of work and fails alone (SQS partial batch response). A transient carrier
failure gives the lease back and pushes the message's next delivery out with exponential backoff
and jitter; after `max_attempts` carrier calls the intercept is marked `needs_attention` with the
last error and the message is moved to the dead-letter queue for an operator to redrive. The
queue's own redrive policy still catches messages that fail for any other reason.
"""
from __future__ import annotations

import contextvars
import json
import logging
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from chalicelib.carriers.base import CarrierAdapter, CarrierResult, CarrierUnavailable, InterceptOrder
from chalicelib.clock import Clock
from chalicelib.intercepts import InterceptService
from chalicelib.models import EventSource, InterceptStatus
from chalicelib.observability import bind, correlation, metrics
from chalicelib.queues import Queues
from chalicelib.store import StaleState, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueMessage:
    """The parts of an SQS record the worker needs (built from Lambda's event)."""

    message_id: str
    receipt_handle: str
    body: str


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: int = 2
    max_seconds: int = 300
    lease_seconds: int = 60

    def backoff(self, attempt: int, rand: Callable[[float, float], float] = random.uniform) -> int:
        """Exponential backoff with equal jitter: half fixed, half random, so it never collapses to 0."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        return int(round(ceiling / 2 + rand(0, ceiling / 2)))


class Dispatcher:
    def __init__(self, store: Store, queues: Queues, intercepts: InterceptService, clock: Clock,
                 adapters: Mapping[str, CarrierAdapter], queue_name: str, dead_letter_queue: str,
                 callback_url: Callable[[str], str], retry: RetryPolicy, max_parallel: int = 8) -> None:
        self._store = store
        self._queues = queues
        self._intercepts = intercepts
        self._clock = clock
        self._adapters = adapters
        self._queue = queue_name
        self._dead_letter_queue = dead_letter_queue
        self._callback_url = callback_url
        self._retry = retry
        self._max_parallel = max_parallel

    def handle_batch(self, messages: Iterable[QueueMessage]) -> dict:
        """Process a batch in parallel (bounded); answer with the ids of the messages that failed."""
        batch = list(messages)
        if not batch:
            return {"batchItemFailures": []}
        contexts = [contextvars.copy_context() for _ in batch]  # the invocation's log correlation ids
        with ThreadPoolExecutor(max_workers=min(self._max_parallel, len(batch))) as pool:
            outcomes = list(pool.map(lambda context, message: context.run(self._process_safely, message),
                                     contexts, batch))
        return {"batchItemFailures": [{"itemIdentifier": message.message_id}
                                      for message, done in zip(batch, outcomes) if not done]}

    def _process_safely(self, message: QueueMessage) -> bool:
        with correlation(message_id=message.message_id):
            try:
                return self.process(message)
            except Exception:  # noqa: BLE001 - one bad message must not fail the batch
                log.exception("dispatch message failed", extra={"message_id": message.message_id})
                return False

    def process(self, message: QueueMessage) -> bool:
        """True when the message is finished with (delete it), False to have it delivered again."""
        intercept_id = _intercept_id(message.body)
        if intercept_id is None:
            log.error("dispatch message is not valid; leaving it for the DLQ", extra={"message_id": message.message_id})
            return False
        bind(intercept_id=intercept_id)
        record = self._store.claim_dispatch(intercept_id, self._clock.now(), self._retry.lease_seconds)
        if record is None:
            # Not pending any more (a result or cancel came first), unknown, or another delivery of
            # the same message holds the lease and will finish the work.
            return True
        adapter = self._adapters.get(record.carrier.value)
        order = InterceptOrder(intercept_id=record.id, tracking_no=record.tracking_no,
                               reason=record.reason or "buyer requested a refund",
                               callback_url=self._callback_url(record.carrier.value))
        try:
            if adapter is None:
                raise CarrierUnavailable(f"no adapter configured for carrier {record.carrier.value}")
            bind(carrier=record.carrier.value, platform_id=record.platform_id)
            started = time.monotonic()
            try:
                outcome = adapter.submit_intercept(order)
            finally:
                metrics.carrier_latency(record.carrier.value, (time.monotonic() - started) * 1000)
        except CarrierUnavailable as error:
            return self._after_transient_failure(message, record.id, record.dispatch_attempts, str(error))
        reason = outcome.message or outcome.reason_code or ""
        changes: dict = {"last_error": None}
        if outcome.carrier_ref:
            changes["carrier_ref"] = outcome.carrier_ref
        if outcome.result == CarrierResult.failed:
            changes["result_reason"] = outcome.reason_code or "carrier_refused"
        self._intercepts.apply_carrier_result(record.id, outcome.result, source=EventSource.carrier,
                                              reason=reason or f"carrier answered {outcome.result.value}",
                                              changes=changes)
        return True

    def _after_transient_failure(self, message: QueueMessage, intercept_id: str, attempts: int, error: str) -> bool:
        if attempts >= self._retry.max_attempts:
            record = self._store.get_intercept(intercept_id)
            if record is not None and record.status == InterceptStatus.pending:
                try:
                    self._store.transition(record, InterceptStatus.needs_attention, source=EventSource.worker,
                                           reason=f"carrier unreachable after {attempts} attempts: {error}",
                                           now=self._clock.now(), changes={"last_error": error[:500]})
                except StaleState:
                    pass
            self._queues.send(self._dead_letter_queue, {"intercept_id": intercept_id, "action": "intercept",
                                                        "attempts": attempts, "last_error": error[:500]})
            return True
        self._store.release_dispatch(intercept_id, error)
        self._queues.delay_retry(self._queue, message.receipt_handle, self._retry.backoff(attempts))
        return False


def _intercept_id(body: str) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("action", "intercept") == "intercept" \
            and isinstance(data.get("intercept_id"), str):
        return data["intercept_id"]
    return None


def messages_from_event(records: Iterable[Any]) -> list[QueueMessage]:
    """Chalice SQSRecord objects (or anything with the same attributes) to QueueMessages."""
    return [QueueMessage(message_id=record.to_dict()["messageId"], receipt_handle=record.receipt_handle,
                         body=record.body) for record in records]
