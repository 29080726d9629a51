"""Daily at 00:30 Asia/Shanghai: a run of yesterday's fee export for every platform."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from chalicelib.clock import Clock
from chalicelib.errors import Conflict
from chalicelib.exports.periods import previous_day

if TYPE_CHECKING:
    from chalicelib.exports.fee_exports import FeeExports
    from chalicelib.store.platforms import PlatformStore

log = logging.getLogger(__name__)


def export_previous_day(platforms: PlatformStore, exports: FeeExports, clock: Clock) -> int:
    """Returns the number of runs started (a platform whose run of the day is already in progress,
    started by hand, keeps that one)."""
    period = previous_day(clock.now())
    started = 0
    for platform in platforms.all():
        try:
            exports.export(platform.id, period.label)
        except Conflict:
            log.info("fee export already in progress", extra={"platform_id": platform.id, "period": period.label})
            continue
        started += 1
    return started
