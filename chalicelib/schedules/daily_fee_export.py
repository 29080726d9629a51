"""Daily at 00:30 Asia/Shanghai: yesterday's fee export for every platform."""
from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.clock import Clock
from chalicelib.exports.periods import previous_day

if TYPE_CHECKING:
    from chalicelib.exports.fee_exports import FeeExports
    from chalicelib.store.platforms import PlatformStore


def export_previous_day(platforms: PlatformStore, exports: FeeExports, clock: Clock) -> int:
    """Returns the number of exports written."""
    period = previous_day(clock.now())
    written = 0
    for platform in platforms.all():
        exports.export(platform.id, period.label)
        written += 1
    return written
