"""Readiness: the gateway answers only when its table and queues answer."""
from __future__ import annotations

from chalicelib.config import dead_letter_queue


def check_health(gw) -> tuple[bool, dict[str, str]]:
    checks: dict[str, str] = {}
    try:
        gw.store.ping()
        checks["table"] = "ok"
    except Exception as error:  # noqa: BLE001 - report, don't raise
        checks["table"] = f"error: {type(error).__name__}"
    for queue in (gw.settings.dispatch_queue, dead_letter_queue(gw.settings.dispatch_queue),
                  gw.settings.notify_queue, dead_letter_queue(gw.settings.notify_queue)):
        try:
            gw.queues.url(queue)
            checks[queue] = "ok"
        except Exception as error:  # noqa: BLE001
            checks[queue] = f"error: {type(error).__name__}"
    return all(value == "ok" for value in checks.values()), checks
