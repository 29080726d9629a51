"""The per-container cache of hot items: fresh values served, stale ones read again, absence
cached only where asked, bounded in size."""
from datetime import datetime, timezone

from chalicelib.clock import FixedClock
from chalicelib.ttl_cache import TtlCache


def loader(values: dict):
    reads = []

    def load(key):
        reads.append(key)
        return values.get(key)
    return reads, load


def test_a_found_value_is_read_once_per_ttl():
    clock = FixedClock(datetime(2026, 11, 11, tzinfo=timezone.utc))
    cache = TtlCache(clock, ttl_seconds=60)
    reads, load = loader({"k": "v"})
    assert [cache.get("k", lambda: load("k")) for _ in range(3)] == ["v"] * 3
    assert reads == ["k"]
    clock.advance(seconds=59)
    cache.get("k", lambda: load("k"))
    assert reads == ["k"]
    clock.advance(seconds=2)
    cache.get("k", lambda: load("k"))
    assert reads == ["k", "k"]


def test_absence_is_read_every_time_unless_a_missing_ttl_is_set():
    clock = FixedClock(datetime(2026, 11, 11, tzinfo=timezone.utc))
    reads, load = loader({})
    plain = TtlCache(clock, ttl_seconds=60)
    plain.get("x", lambda: load("x"))
    plain.get("x", lambda: load("x"))
    assert reads == ["x", "x"]
    reads.clear()
    short = TtlCache(clock, ttl_seconds=60, missing_ttl_seconds=5)
    short.get("x", lambda: load("x"))
    short.get("x", lambda: load("x"))
    assert reads == ["x"]
    clock.advance(seconds=6)
    short.get("x", lambda: load("x"))
    assert reads == ["x", "x"]


def test_forget_and_the_size_bound():
    clock = FixedClock(datetime(2026, 11, 11, tzinfo=timezone.utc))
    reads, load = loader({n: n for n in range(5)})
    cache = TtlCache(clock, ttl_seconds=60, max_entries=2)
    for key in (0, 1, 2):
        cache.get(key, lambda key=key: load(key))
    cache.get(0, lambda: load(0))          # the oldest was dropped for the third
    cache.get(2, lambda: load(2))          # still held
    assert reads == [0, 1, 2, 0]
    cache.forget(2)
    cache.get(2, lambda: load(2))
    assert reads == [0, 1, 2, 0, 2]


def test_threads_that_miss_together_share_one_load():
    import threading
    import time

    clock = FixedClock(datetime(2026, 11, 11, tzinfo=timezone.utc))
    cache = TtlCache(clock, ttl_seconds=60)
    reads = []

    def slow_load():
        reads.append(1)
        time.sleep(0.05)
        return "v"

    threads = [threading.Thread(target=cache.get, args=("k", slow_load)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reads == [1]
