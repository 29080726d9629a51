"""The notify worker: send each webhook signed, retry for about three days.

Every delivery is queued by the relay once the change that owes it has committed
(chalicelib/webhooks/relay.py); the worker creates its item on the first attempt and leases it
before each call to the platform, so duplicate messages send once; it records every attempt. A
failure schedules the next attempt with exponential backoff and jitter: short waits go back on
the queue with a delay, long ones (SQS delays stop at 15 minutes) are picked up by the outbox
sweep when due. After
the retry window the delivery is `exhausted` and its message goes to the notify DLQ; a 410 answer
disables the platform's endpoint.

The platform sees each attempt (`GET /v1/intercepts/{id}/webhook-deliveries`) with a generic error
only ("connection failed", "timed out", "address not allowed", "TLS error", "HTTP 503"); what the
network said goes to the log (see sender.py).

`webhook-timestamp` is the wall-clock time of the attempt (the receiver checks it against its own
clock); the event's `timestamp` and the retry schedule use the gateway clock.
"""
from __future__ import annotations

import json
import logging
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable

from chalicelib.backoff import Backoff
from chalicelib.clock import Clock, from_iso, to_iso
from chalicelib.queues import QueueMessage, Queues, process_batch
from chalicelib.store.deliveries import DeliveryStatus, DeliveryStore
from chalicelib.store.webhook_endpoints import WebhookEndpointStore
from chalicelib.ttl_cache import TtlCache
from chalicelib.webhooks.endpoints import signing_secrets
from chalicelib.webhooks.outbox import WebhookOutbox
from chalicelib.webhooks.sender import SendFailed
from chalicelib.webhooks.signing import signed_headers

log = logging.getLogger(__name__)

#: SQS refuses longer message delays; longer waits are left to the outbox sweep.
MAX_QUEUE_DELAY_SECONDS = 900
#: How long a container trusts a platform's webhook endpoint it has read, and its absence.
ENDPOINT_CACHE_SECONDS = 30
NO_ENDPOINT_CACHE_SECONDS = 5


@dataclass(frozen=True)
class RetrySchedule:
    first_seconds: int = 5
    factor: int = 4
    max_seconds: int = 12 * 3600
    window: timedelta = timedelta(days=3)

    def delay(self, attempts: int, rand: Callable[[float, float], float] = random.uniform) -> int:
        """Wait after the `attempts`-th failure: exponential, capped, with +-20 % jitter."""
        backoff = Backoff(first=self.first_seconds, factor=self.factor, cap=self.max_seconds, jitter="proportional")
        return max(1, int(backoff.seconds(attempts, rand)))


@dataclass(frozen=True)
class Timeouts:
    connect: float = 3.05
    read: float = 10.0


class CachedEndpoints:
    """Each platform's webhook endpoint, read at most once per 30 s per container (every delivery
    needs it: at peak, one hot item per platform), and its absence once per 5 s. A change reaches
    the workers within that (a new secret is signed with after up to 30 s; the one it replaces
    stays valid for 24 hours); a change made or a 410 seen in this container, at once."""

    def __init__(self, endpoints: WebhookEndpointStore, clock: Clock, ttl_seconds: float = ENDPOINT_CACHE_SECONDS,
                 missing_ttl_seconds: float = NO_ENDPOINT_CACHE_SECONDS) -> None:
        self._endpoints = endpoints
        self._cache: TtlCache[dict] = TtlCache(clock, ttl_seconds, missing_ttl_seconds=missing_ttl_seconds)

    def get(self, platform_id: str) -> dict | None:
        return self._cache.get(platform_id, lambda: self._endpoints.get(platform_id))

    def forget(self, platform_id: str) -> None:
        self._cache.forget(platform_id)


class WebhookDelivery:
    def __init__(self, deliveries: DeliveryStore, endpoints: WebhookEndpointStore, cached_endpoints: CachedEndpoints,
                 outbox: WebhookOutbox,
                 queues: Queues, clock: Clock, wall_clock: Clock, dead_letter_queue: str,
                 send: Callable[[str, str, dict[str, str], Timeouts], int],
                 schedule: RetrySchedule = RetrySchedule(),
                 timeouts: Timeouts = Timeouts(), lease_seconds: int = 60, max_parallel: int = 10) -> None:
        self._deliveries = deliveries
        self._endpoints = endpoints
        self._cached_endpoints = cached_endpoints
        self._outbox = outbox
        self._queues = queues
        self._clock = clock
        self._wall_clock = wall_clock
        self._dead_letter_queue = dead_letter_queue
        self._schedule = schedule
        self._send = send
        self._timeouts = timeouts
        self._lease_seconds = lease_seconds
        self._max_parallel = max_parallel

    # -- the worker ---------------------------------------------------------------------------

    def handle_batch(self, messages: Iterable[QueueMessage]) -> dict:
        """Deliver a batch in parallel, so one slow endpoint does not hold the others past their
        visibility timeout; answer with the ids of the messages to deliver again."""
        return process_batch(messages, self.process, max_parallel=self._max_parallel, what="webhook delivery")

    def process(self, message: QueueMessage) -> bool:
        """True when the message is finished with; False to have SQS deliver it again."""
        try:
            data = json.loads(message.body)
            relayed = data.get("delivery")
            if relayed is not None:
                intercept_id, message_id = relayed["intercept_id"], relayed["id"]
                _check_relayed(relayed)
            else:
                intercept_id, message_id = data["intercept_id"], data["message_id"]
        except (ValueError, KeyError, TypeError, AttributeError):
            log.error("notify message is not valid; leaving it for the DLQ", extra={"message_id": message.message_id})
            return False
        now = self._clock.now()
        delivery = self._deliveries.start(relayed, now, self._lease_seconds) if relayed is not None else None
        if delivery is None:
            delivery = self._deliveries.claim(intercept_id, message_id, now, self._lease_seconds)
        if delivery is None:
            self._queue_again_if_early(intercept_id, message_id, now)
            return True
        endpoint = self._cached_endpoints.get(delivery["platform_id"])
        if endpoint is None or not endpoint.get("enabled"):
            self._deliveries.record_attempt(delivery, status=DeliveryStatus.no_endpoint, next_attempt_at=None, now=now,
                                       attempt={"at": to_iso(now), "error": "no enabled webhook endpoint"})
            return True
        wall = int(self._wall_clock.now().timestamp())
        headers = signed_headers(signing_secrets(endpoint, now), delivery["id"], wall, delivery["body"])
        try:
            status_code: int | None = self._send(endpoint["url"], delivery["body"], headers, self._timeouts)
            error = None if 200 <= status_code < 300 else f"HTTP {status_code}"
        except Exception as failure:  # noqa: BLE001 - any network failure is retried
            status_code = None
            error = failure.reason if isinstance(failure, SendFailed) else "connection failed"
            log.warning("webhook attempt failed", exc_info=failure,
                        extra={"intercept_id": intercept_id, "delivery_id": message_id,
                               "platform_id": delivery["platform_id"], "url": endpoint["url"], "error": error})
        attempt: dict[str, Any] = {"at": to_iso(now), "url": endpoint["url"]}
        if status_code is not None:
            attempt["status_code"] = status_code
        if error:
            attempt["error"] = error
        if error is None:
            self._deliveries.record_attempt(delivery, status=DeliveryStatus.delivered, attempt=attempt,
                                       next_attempt_at=None, now=now)
        elif status_code == 410:
            self._endpoints.disable(delivery["platform_id"], endpoint["url"],
                                                 "the endpoint answered 410 Gone", now)
            self._cached_endpoints.forget(delivery["platform_id"])
            self._deliveries.record_attempt(delivery, status=DeliveryStatus.endpoint_gone, attempt=attempt,
                                       next_attempt_at=None, now=now)
        else:
            self._after_failure(delivery, attempt, now)
        return True

    def _after_failure(self, delivery: dict, attempt: dict, now: datetime) -> None:
        attempts = int(delivery["attempts"]) + 1
        # the backoff and the window run from the delivery's creation, or from an operator's redrive of it
        wait = self._schedule.delay(attempts - int(delivery.get("retry_from_attempts", 0)))
        next_at = now + timedelta(seconds=wait)
        if next_at > from_iso(delivery.get("retry_from") or delivery["created_at"]) + self._schedule.window:
            if self._deliveries.record_attempt(delivery, status=DeliveryStatus.exhausted, attempt=attempt,
                                          next_attempt_at=None, now=now):
                self._queues.send(self._dead_letter_queue, {
                    "intercept_id": delivery["intercept_id"], "message_id": delivery["id"],
                    "type": delivery["type"], "attempts": attempts, "last_error": attempt.get("error")})
            return
        if self._deliveries.record_attempt(delivery, status=DeliveryStatus.pending, attempt=attempt,
                                      next_attempt_at=next_at, now=now) and wait <= MAX_QUEUE_DELAY_SECONDS:
            self._outbox.queue_again([delivery], delay_seconds=wait)

    def _queue_again_if_early(self, intercept_id: str, message_id: str, now: datetime) -> None:
        """A message the worker could not claim: finished, held by another copy of it, or early (a
        queue delay ends by the queue's clock, the due time is by the gateway's). Only the early one
        is queued again, for the rest of its wait, so a few milliseconds between clocks lose nothing."""
        found = self._deliveries.get(intercept_id, message_id)
        if found is None or found["status"] != DeliveryStatus.pending:
            return
        wait = math.ceil((from_iso(found["next_attempt_at"]) - now).total_seconds())
        if 0 < wait <= MAX_QUEUE_DELAY_SECONDS:   # a longer wait is the outbox sweep's
            self._outbox.queue_again([found], delay_seconds=wait)


def _check_relayed(delivery: dict) -> None:
    """A relayed delivery has every field the worker stores (TypeError otherwise)."""
    if not all(isinstance(delivery.get(name), str) and delivery[name]
               for name in ("id", "intercept_id", "platform_id", "type", "body", "created_at")):
        raise TypeError("incomplete delivery")


def public_delivery(delivery: dict) -> dict:
    """A delivery as the API shows it: no body, numbers as ints."""
    shown = {name: delivery.get(name) for name in ("id", "type", "status", "attempts", "created_at",
                                                    "next_attempt_at", "finished_at")}
    shown["attempts_log"] = [{name: int(value) if name == "status_code" else value for name, value in entry.items()}
                             for entry in delivery.get("attempt_log", [])]
    if shown["status"] != DeliveryStatus.pending:
        shown.pop("next_attempt_at")
    return shown
