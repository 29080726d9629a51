"""A per-container cache of found items with a short time to live.

For the items every request reads (a platform's API key, its webhook endpoint): at promotion-day
rates one item read by every request is one hot partition, so each warm container reads it at most
once per TTL instead. What is not found is cached only for `missing_ttl_seconds` (default 0: an
API key created a moment ago works at once, an unknown key costs its read as it did; a platform
without a webhook endpoint would otherwise be asked about on every delivery). A change to a cached item (a revoked key, a new
endpoint URL) reaches every container within the TTL; docs/security.md says so.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import timedelta
from typing import Callable, Generic, Hashable, TypeVar

from chalicelib.clock import Clock

Value = TypeVar("Value")


class TtlCache(Generic[Value]):
    def __init__(self, clock: Clock, ttl_seconds: float, max_entries: int = 1024,
                 missing_ttl_seconds: float = 0) -> None:
        self._clock = clock
        self._ttl = timedelta(seconds=ttl_seconds)
        self._missing_ttl = timedelta(seconds=missing_ttl_seconds)
        self._max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple] = OrderedDict()
        self._loading: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], Value | None]) -> Value | None:
        """The cached value of `key` while fresh, else `load()` (cached when found). Threads that
        miss the same key together wait for one load (a batch's workers all start cold)."""
        found, value = self._fresh(key)
        if found:
            return value
        with self._lock:
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            found, value = self._fresh(key)
            if found:
                return value
            value = load()
            now = self._clock.now()
            with self._lock:
                self._loading.pop(key, None)
                if value is None and not self._missing_ttl:
                    self._entries.pop(key, None)
                else:
                    self._entries[key] = (now + (self._ttl if value is not None else self._missing_ttl), value)
                    self._entries.move_to_end(key)
                    while len(self._entries) > self._max_entries:
                        self._entries.popitem(last=False)
        return value

    def _fresh(self, key: Hashable) -> tuple[bool, Value | None]:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > self._clock.now():
                return True, entry[1]
        return False, None

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)
