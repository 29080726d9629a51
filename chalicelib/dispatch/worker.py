"""The dispatch worker: takes interception messages off the queue and calls the carrier.

Each message is one unit of work and fails alone (SQS partial batch response). A transient carrier
failure gives the lease back and pushes the message's next delivery out with exponential backoff
and jitter; after `max_attempts` carrier calls the intercept is marked `needs_attention` with the
last error and the message is moved to the dead-letter queue for an operator to redrive. The
queue's own redrive policy still catches messages that fail for any other reason.

Two kinds of message (`queues.dispatch_message`): `{"intercept_id", "action": "intercept",
"carrier"}` submits the interception and `{..., "action": "cancel", ...}` withdraws it at the
carrier after a merchant's cancel.

With a circuit breaker, a message for a carrier whose circuit is open is held back (its visibility
pushed out to when a probe may be due) without calling the carrier and without counting an
attempt. A held message about to reach the queue's redrive limit is sent again as a new message
instead, so an outage longer than the redrive window does not dead-letter work that never ran.
"""
from __future__ import annotations

import json
import logging
import math
import random
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, NamedTuple

from chalicelib.backoff import Backoff
from chalicelib.carriers.base import (
    Address,
    CarrierAccountFault,
    CarrierAdapter,
    CarrierResult,
    CarrierUnavailable,
    InterceptOrder,
)
from chalicelib.clock import Clock, from_iso
from chalicelib.dispatch.accounts import MerchantAccounts
from chalicelib.dispatch.circuit_breaker import Admission, CircuitBreaker
from chalicelib.domain import lifecycle
from chalicelib.domain.models import EventSource, Intercept, InterceptStatus
from chalicelib.domain.returns import ReturnTo
from chalicelib.observability import bind, metrics
from chalicelib.queues import QueueMessage, Queues, dispatch_message, process_batch
from chalicelib.store import StaleState
from chalicelib.store.intercepts import InterceptStore
from chalicelib.usecases.carrier_results import Applied, CarrierResults, Reporter
from chalicelib.usecases.change_writer import ChangeWriter

log = logging.getLogger(__name__)

#: The reason code a carrier's refusal to withdraw carries when it knows no such instruction.
NOT_AT_CARRIER = "intercept_not_found"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: int = 2
    max_seconds: int = 300
    lease_seconds: int = 60

    def backoff(self, attempt: int, rand: Callable[[float, float], float] = random.uniform) -> int:
        """Exponential backoff with equal jitter: half fixed, half random, so it never collapses to 0."""
        return int(round(Backoff(first=self.base_seconds, cap=self.max_seconds, jitter="equal").seconds(attempt, rand)))


class Dispatcher:
    def __init__(self, store: InterceptStore, changes: ChangeWriter, results: CarrierResults, queues: Queues,
                 clock: Clock, adapters: Mapping[str, CarrierAdapter], queue_name: str, dead_letter_queue: str,
                 callback_url: Callable[[str], str], retry: RetryPolicy, max_parallel: int = 10,
                 breaker: CircuitBreaker | None = None, max_receive_count: int = 10,
                 accounts: MerchantAccounts | None = None) -> None:
        self._accounts = accounts
        self._store = store
        self._changes = changes
        self._results = results
        self._queues = queues
        self._clock = clock
        self._adapters = adapters
        self._queue = queue_name
        self._dead_letter_queue = dead_letter_queue
        self._callback_url = callback_url
        self._retry = retry
        self._max_parallel = max_parallel
        self._breaker = breaker
        self._max_receive_count = max_receive_count

    def handle_batch(self, messages: Iterable[QueueMessage]) -> dict:
        """Process a batch in parallel (bounded); answer with the ids of the messages that failed."""
        batch = list(messages)
        if self._breaker is not None and batch:
            self._read_circuits_ahead(batch)
        return process_batch(batch, self.process, max_parallel=self._max_parallel, what="dispatch message")

    def _read_circuits_ahead(self, batch: list[QueueMessage]) -> None:
        """One read per carrier, before the leases, so the carrier calls need not wait for it behind
        them. Only a saving: when it fails, each message's admit reads for itself."""
        carriers = {work.carrier for work in map(_work, (message.body for message in batch))
                    if work is not None and work.carrier}
        try:
            self._breaker.read_ahead(carriers)
        except Exception:  # noqa: BLE001 - a failed read must not fail the batch
            log.warning("circuit read-ahead failed", exc_info=True)

    def process(self, message: QueueMessage) -> bool:
        """True when the message is finished with (delete it), False to have it delivered again."""
        work = _work(message.body)
        if work is None:
            log.error("dispatch message is not valid; leaving it for the DLQ", extra={"message_id": message.message_id})
            return False
        intercept_id, action = work.intercept_id, work.action
        bind(intercept_id=intercept_id)
        if action == "cancel":
            requested = self._store.get(intercept_id)
            return True if requested is None else self._withdraw(message, requested)
        planned = self._adapters.get(work.carrier) if work.carrier else None
        via = planned.route if planned is not None and planned.route != work.carrier else None
        record = self._store.claim_dispatch(intercept_id, self._clock.now(), self._retry.lease_seconds, via=via)
        if record is None:
            # Not pending any more (a result or cancel came first), unknown, or another delivery of
            # the same message holds the lease and will finish the work.
            return True
        admission = self._admit(record.carrier.value)
        if not admission.allowed:
            self._store.release_dispatch(intercept_id, "held back: carrier circuit open", uncount=True)
            return self._hold(message, record.carrier.value, admission)
        adapter = self._adapters.get(record.carrier.value)
        try:
            if adapter is None:
                raise CarrierUnavailable(f"no adapter configured for carrier {record.carrier.value}")
            bind(carrier=record.carrier.value, platform_id=record.platform_id)
            started = time.monotonic()
            try:
                outcome = adapter.submit_intercept(self._order(record))
            finally:
                metrics.carrier_latency(record.carrier.value, (time.monotonic() - started) * 1000)
        except CarrierAccountFault as error:
            # the carrier answered: not an outage, so the circuit is not charged with it
            self._give_up(record, f"the carrier refused our call ({error.code}); an operator must act: {error}",
                          str(error))
            return True
        except CarrierUnavailable as error:
            self._failed(record.carrier.value)
            return self._after_transient_failure(message, record, str(error))
        self._succeeded(record.carrier.value, admission)
        reason = outcome.message or outcome.reason_code or ""
        changes: dict = {"last_error": None, "dispatch_lease_until": None}  # the call is over
        if record.via is None and adapter.route != record.carrier.value:  # queued before messages named it
            changes["via"] = adapter.route
        if outcome.carrier_ref:
            changes["carrier_ref"] = outcome.carrier_ref
        if outcome.result == CarrierResult.failed:
            changes["result_reason"] = outcome.reason_code or "carrier_refused"
        applied = self._results.apply(
            record.id, outcome.result, source=EventSource.carrier,
            reason=reason or f"carrier answered {outcome.result.value}", changes=changes, last_read=record,
            carrier_accepted=outcome.result != CarrierResult.failed, charged=outcome.fee)
        if applied == Applied.unchanged and outcome.result == CarrierResult.accepted:
            # A cancel was requested while the carrier took the instruction: it holds it now, and the
            # withdrawal (queued by the cancel) needs to know that, and its reference.
            self._store.record_late_acceptance(record.id, outcome.carrier_ref)
        return True

    def _withdraw(self, message: QueueMessage, record: Intercept) -> bool:
        """Ask the carrier to withdraw the instruction of a `cancel_requested` intercept.

        Withdrawn: `cancelled`. Refused: the carrier acted on it (or never had it), so its result
        decides: it is asked for that result at once where it answers queries, and otherwise the
        callback or the polling schedule brings it. Only when no call of ours was ever accepted
        and the carrier knows no such instruction (and has no result for it) is the record
        `cancelled` as never having reached the carrier. Never "not found" for an instruction
        still in flight: the withdrawal waits for the submitting call's lease to end.
        """
        if record.status != InterceptStatus.cancel_requested or record.carrier_cancel:
            return True  # withdrawn already, or a result came first
        in_flight = self._submission_in_flight(record)
        if in_flight:
            self._queues.delay_retry(self._queue, message.receipt_handle, in_flight)
            return False
        admission = self._admit(record.carrier.value)
        if not admission.allowed:
            return self._hold(message, record.carrier.value, admission)
        attempt = self._store.claim_cancel(record.id, self._clock.now(), self._retry.lease_seconds)
        if attempt is None:
            return True
        adapter = self._adapters.get(record.carrier.value)
        try:
            if adapter is None:
                raise CarrierUnavailable(f"no adapter configured for carrier {record.carrier.value}")
            if adapter.route != record.route:  # only the route that holds the instruction can withdraw it
                raise CarrierUnavailable(f"{record.carrier.value} is configured over {adapter.route}, "
                                         f"the instruction went over {record.route}")
            outcome = adapter.cancel_intercept(self._order(record))
        except CarrierUnavailable as error:
            self._failed(record.carrier.value)
            if attempt >= self._retry.max_attempts:
                self._store.set_carrier_cancel(record.id, f"unconfirmed: {str(error)[:200]}")
                dead = dispatch_message(record.id, "cancel", record.carrier.value)
                self._queues.send(self._dead_letter_queue, {**dead, "attempts": attempt,
                                                            "last_error": str(error)[:500]})
                return True
            self._store.release_cancel(record.id)
            self._queues.delay_retry(self._queue, message.receipt_handle, self._retry.backoff(attempt))
            return False
        self._succeeded(record.carrier.value, admission)
        if outcome.cancelled:
            self._close_cancel(record, "withdrawn", outcome.message or "the carrier withdrew the instruction")
            return True
        if self._apply_known_result(adapter, record):
            return True
        if not record.carrier_accepted and outcome.reason_code == NOT_AT_CARRIER:
            self._close_cancel(record, "not_at_carrier", "the carrier never received the instruction")
            return True
        self._store.set_carrier_cancel(record.id, f"refused: {outcome.reason_code or 'carrier_refused'}")
        return True

    def _close_cancel(self, record: Intercept, outcome: str, reason: str) -> None:
        now = self._clock.now()
        try:
            self._changes.commit(lifecycle.transition(
                record, to_status=InterceptStatus.cancelled, source=EventSource.carrier, reason=reason, now=now,
                changes={"carrier_cancel": outcome, "cancel_lease_until": None}))
        except StaleState:  # a result came first and was applied: it stands
            log.warning("cancel confirmed after a result was applied", extra={"intercept_id": record.id})

    def _apply_known_result(self, adapter: CarrierAdapter, record: Intercept) -> bool:
        """Ask the carrier for its result on the instruction; apply it if it has one. False when it
        has none yet, or cannot say now."""
        try:
            known = adapter.query_intercept(self._order(record))
        except CarrierUnavailable:
            return False
        if known.result not in (CarrierResult.intercepted, CarrierResult.failed):
            return False
        changes = {"result_reason": known.reason_code} if known.reason_code else {}
        self._results.apply(record.id, known.result, source=EventSource.carrier, changes=changes,
                            reporter=Reporter(record.carrier.value, adapter.route), charged=known.fee,
                            reason=known.message or known.reason_code or f"carrier reported {known.result.value}")
        return True

    def _submission_in_flight(self, record: Intercept) -> int:
        """Seconds until the dispatch lease on `record` ends (0: no carrier call can be in flight)."""
        if not record.dispatch_lease_until:
            return 0
        remaining = (from_iso(record.dispatch_lease_until) - self._clock.now()).total_seconds()
        return math.ceil(remaining) + 1 if remaining > 0 else 0

    def _order(self, record: Intercept) -> InterceptOrder:
        return InterceptOrder(intercept_id=record.id, tracking_no=record.tracking_no,
                              reason=record.reason or "buyer requested a refund",
                              callback_url=self._callback_url(record.carrier.value), carrier_ref=record.carrier_ref,
                              redirect_to=Address(**record.redirect_to.model_dump()) if record.redirect_to else None,
                              return_to=record.return_to or ReturnTo.sender,
                              account=self._accounts.for_record(record) if self._accounts else None)

    def _admit(self, carrier: str) -> Admission:
        return self._breaker.admit(carrier) if self._breaker is not None else Admission(True, clean=True)

    def _hold(self, message: QueueMessage, carrier: str, admission: Admission) -> bool:
        """Keep the message off the carrier until a probe may be due; this is not an attempt.

        Returns False (deliver again later) after pushing its visibility out, or True after sending
        it again as a new message when it is about to reach the queue's redrive limit.
        """
        hold = admission.retry_after_seconds + self._retry.backoff(1)
        log.info("carrier circuit open; message held back", extra={"carrier": carrier, "seconds": hold})
        if message.receive_count >= self._max_receive_count - 1:
            self._queues.send(self._queue, json.loads(message.body), delay_seconds=min(hold, 900))
            return True
        self._queues.delay_retry(self._queue, message.receipt_handle, hold)
        return False

    def _failed(self, carrier: str) -> None:
        if self._breaker is not None:
            self._breaker.record_failure(carrier)

    def _succeeded(self, carrier: str, admission: Admission) -> None:
        if self._breaker is not None:
            self._breaker.record_success(carrier, admission)

    def _after_transient_failure(self, message: QueueMessage, leased: Intercept, error: str) -> bool:
        intercept_id, attempts = leased.id, leased.dispatch_attempts
        if attempts >= self._retry.max_attempts:
            self._give_up(leased, f"carrier unreachable after {attempts} attempts: {error}", error)
            return True
        self._store.release_dispatch(intercept_id, error)
        self._queues.delay_retry(self._queue, message.receipt_handle, self._retry.backoff(attempts))
        return False

    def _give_up(self, leased: Intercept, reason: str, error: str) -> None:
        """`needs_attention` with the error, and the message to the dead-letter queue for an
        operator's redrive (gatewayctl) once the cause is dealt with."""
        record = self._store.get(leased.id)
        if record is not None and record.status == InterceptStatus.pending:
            now = self._clock.now()
            try:
                self._changes.commit(lifecycle.transition(
                    record, to_status=InterceptStatus.needs_attention, source=EventSource.worker, reason=reason,
                    now=now, changes={"last_error": error[:500], "dispatch_lease_until": None}))
            except StaleState:
                pass
        dead = dispatch_message(leased.id, "intercept", leased.carrier.value)
        self._queues.send(self._dead_letter_queue, {**dead, "attempts": leased.dispatch_attempts,
                                                    "last_error": error[:500]})


class Work(NamedTuple):
    intercept_id: str
    action: str
    carrier: str | None  # None in messages queued before they named it


def _work(body: str) -> Work | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("intercept_id"), str):
        return None
    action, carrier = data.get("action", "intercept"), data.get("carrier")
    if action not in ("intercept", "cancel"):
        return None
    return Work(data["intercept_id"], action, carrier if isinstance(carrier, str) else None)
