"""The local stage's offset clock: system time plus a shared offset, re-read at most once a second."""
from datetime import timedelta

from chalicelib.clock import FixedClock, OffsetClock
from tests.conftest import START


def test_the_offset_is_read_from_the_shared_source_and_refreshed():
    offsets = [0.0]
    ticks = [0.0]
    clock = OffsetClock(FixedClock(START), lambda: offsets[0], refresh_seconds=1.0, monotonic=lambda: ticks[0])
    assert clock.now() == START
    offsets[0] = 5 * 86_400.0          # another process moved the clock
    assert clock.now() == START         # cached for up to a second
    ticks[0] = 1.0
    assert clock.now() == START + timedelta(days=5)


def test_a_written_offset_is_used_at_once():
    clock = OffsetClock(FixedClock(START), lambda: 0.0, monotonic=lambda: 0.0)
    clock.use_offset(60)
    assert clock.now() == START + timedelta(minutes=1)
