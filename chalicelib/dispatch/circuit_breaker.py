"""A circuit breaker per carrier, shared by every dispatch worker through DynamoDB.

closed: calls flow; consecutive transient failures are counted, and at `failure_threshold` the
circuit opens. open: no calls until `cooldown_seconds` have passed; then one worker takes the
half-open probe (a conditional write, so only one). half_open: the probe's result decides: success
closes the circuit, failure opens it for another cool-down. If the probing worker dies, its probe
lease (`probe_lease_seconds`) runs out and another worker may probe.

A worker that has just seen the circuit closed and clean trusts that for `clean_cache_seconds`
(one read per carrier per second rather than per message; the messages of one batch, admitted in
parallel, wait for that one read); its own failure drops the cache.

A carrier's business refusal (too late, signed, ...) is an answer, so it counts as a success.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from chalicelib.clock import Clock, from_iso, to_iso
from chalicelib.store.circuits import CLOSED, HALF_OPEN, OPEN, CircuitState, CircuitStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int = 5
    cooldown_seconds: int = 30
    probe_lease_seconds: int = 60
    clean_cache_seconds: float = 1.0


@dataclass(frozen=True)
class Admission:
    allowed: bool
    retry_after_seconds: int = 0   # when not allowed: how long until a call may be worth trying
    clean: bool = False            # closed with no failures counted: a success needs no write


class CircuitBreaker:
    def __init__(self, store: CircuitStore, clock: Clock, policy: BreakerPolicy) -> None:
        self._store = store
        self._clock = clock
        self._policy = policy
        self._clean_until: dict[str, datetime] = {}
        self._reading = threading.Lock()

    def admit(self, carrier: str) -> Admission:
        now = self._clock.now()
        if now < self._clean_until.get(carrier, now):
            return Admission(True, clean=True)
        with self._reading:
            return self._admit_from_store(carrier, self._clock.now())

    def read_ahead(self, carriers: Iterable[str]) -> None:
        """Read these carriers' circuits now (one request), so that admits made soon after need no
        read of a circuit that is closed and clean. Takes no probe and changes nothing: a circuit in
        any other state is left for `admit` to read and decide on."""
        now = self._clock.now()
        with self._reading:
            unread = sorted(carrier for carrier in carriers if not now < self._clean_until.get(carrier, now))
            for record in self._store.get_many(unread) if unread else ():
                self._remember_if_clean(record, now)

    def _admit_from_store(self, carrier: str, now: datetime) -> Admission:
        if now < self._clean_until.get(carrier, now):
            return Admission(True, clean=True)  # a parallel admit has just read it
        record = self._store.get(carrier)
        if record.state == CLOSED:
            self._remember_if_clean(record, now)
            return Admission(True, clean=record.failures == 0)
        if record.state == OPEN:
            open_until = from_iso(record.open_until) if record.open_until else now
            if now < open_until:
                return Admission(False, _seconds(open_until - now))
            return self._take_probe(carrier, OPEN)
        probe_until = from_iso(record.probe_until) if record.probe_until else now
        if now < probe_until:
            return Admission(False, _seconds(probe_until - now))
        return self._take_probe(carrier, HALF_OPEN)

    def _remember_if_clean(self, record: CircuitState, now: datetime) -> None:
        """A closed circuit with no failures counted is trusted for `clean_cache_seconds` without a read."""
        if record.state == CLOSED and record.failures == 0 and self._policy.clean_cache_seconds > 0:
            self._clean_until[record.carrier] = now + timedelta(seconds=self._policy.clean_cache_seconds)

    def _take_probe(self, carrier: str, from_state: str) -> Admission:
        now = self._clock.now()
        probe_until = to_iso(now + timedelta(seconds=self._policy.probe_lease_seconds))
        if self._store.move(carrier, from_state, HALF_OPEN, probe_until=probe_until, expired_before=to_iso(now)):
            log.warning("circuit half-open: probing the carrier", extra={"carrier": carrier})
            return Admission(True)
        return Admission(False, self._policy.cooldown_seconds)

    def record_success(self, carrier: str, admission: Admission) -> None:
        if not admission.clean:
            self._store.close(carrier)

    def record_failure(self, carrier: str) -> None:
        self._clean_until.pop(carrier, None)
        record = self._store.add_failure(carrier)
        open_until = to_iso(self._clock.now() + timedelta(seconds=self._policy.cooldown_seconds))
        if record.state == HALF_OPEN:
            if self._store.move(carrier, HALF_OPEN, OPEN, open_until=open_until):
                log.warning("probe failed: circuit open again", extra={"carrier": carrier})
        elif record.state == CLOSED and record.failures >= self._policy.failure_threshold:
            if self._store.move(carrier, CLOSED, OPEN, open_until=open_until):
                log.warning("circuit open", extra={"carrier": carrier, "failures": record.failures})


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds() + 0.999))
