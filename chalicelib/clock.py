"""Time and ids come from here, so tests (and the local stage) control them."""
from __future__ import annotations

import os
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


class OffsetClock:
    """The local stage's clock: system time plus an offset kept in the table.

    Moving it forward (`POST /local/clock`) lets a person watch a 5-day refund deadline fire in
    seconds. The offset lives in the table, not in one process, so the API, the queue workers and
    the sweeps all read the same time. It is re-read at most once a second.
    """

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


def to_iso(moment: datetime) -> str:
    """ISO-8601 UTC with millisecond precision and a `Z`, sortable as a string."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def parse_moment(text: str) -> datetime:
    """An ISO-8601 date-time from outside (a query, a body): timezone-aware and one that converts to
    UTC (0001-01-01T00:00:00+08:00 does not). ValueError otherwise."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("must be an ISO-8601 date-time")
    try:
        moment = from_iso(text)
        if moment.tzinfo is None:
            raise ValueError("must include a UTC offset, e.g. 2026-11-23T00:00:00Z")
        moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("is outside the calendar") from None
    return moment


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(prefix: str, clock: Clock | None = None, random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """A ULID-style id: 48-bit millisecond time + 80 random bits, Crockford base32, time-sortable."""
    millis = int((clock.now().timestamp() if clock else time.time()) * 1000)
    return ulid(prefix, millis, random_bytes(10))


def ulid(prefix: str, millis: int, tail: bytes) -> str:
    """`prefix_` + 26 Crockford base32 characters of the 48-bit time and the 80 bits of `tail`."""
    value = (millis << 80) | int.from_bytes(tail[:10], "big")
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return f"{prefix}_{''.join(reversed(chars))}"


def new_secret(prefix: str = "", nbytes: int = 24) -> str:
    return prefix + secrets.token_urlsafe(nbytes)
