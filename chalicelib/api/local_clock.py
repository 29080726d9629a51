"""The local stage's clock: system time plus an offset kept in the table.

Moving it forward (`POST /local/clock`) lets a person watch a 5-day refund deadline fire in
seconds. The offset lives in the table, not in one process, so the API, the queue workers and the
sweeps all read the same time. It is re-read at most once a second.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import Any, Callable

from chalicelib.clock import Clock, to_iso
from chalicelib.errors import NotFound


class OffsetClock:
    def __init__(self, base: Clock, read_offset: Callable[[], float], refresh_seconds: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._base = base
        self._read_offset = read_offset
        self._refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._offset = 0.0
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            if self._read_at is None or self._monotonic() - self._read_at >= self._refresh_seconds:
                self._offset = self._read_offset()
                self._read_at = self._monotonic()
            offset = self._offset
        return self._base.now() + timedelta(seconds=offset)

    def use_offset(self, seconds: float) -> None:
        """Take a just-written offset at once, without waiting for the next refresh."""
        with self._lock:
            self._offset = seconds
            self._read_at = self._monotonic()


def advance(stage_is_local: bool, store: Any, clock: Clock, raw_body: bytes | str | None) -> dict:
    """`POST /local/clock {advance_seconds}`: move the local stage's clock forward; 404 elsewhere."""
    from chalicelib.api.bodies import parse_model
    from chalicelib.domain.requests import AdvanceRequest

    if not stage_is_local or not isinstance(clock, OffsetClock):
        raise NotFound("the clock can only be moved in the local stage")
    request = parse_model(AdvanceRequest, raw_body)
    offset = store.advance_clock_offset(round(request.advance_seconds, 3))
    clock.use_offset(offset)
    return {"now": to_iso(clock.now()), "offset_seconds": offset}
