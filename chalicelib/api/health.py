"""GET /health: readiness; 200 only when the table and every queue answer."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api.context import gateway
from chalicelib.api.responses import api, json_response

routes = Blueprint(__name__)


@routes.route("/health", methods=["GET"])
@api
def health() -> Response:
    healthy, checks = check_health(gateway())
    return json_response({"status": "ok" if healthy else "unavailable", "checks": checks}, 200 if healthy else 503)


def check_health(gw) -> tuple[bool, dict[str, str]]:
    from chalicelib.config import dead_letter_queue

    checks: dict[str, str] = {}
    try:
        gw.store.ping()
        checks["table"] = "ok"
    except Exception as error:  # noqa: BLE001 - report, don't raise
        checks["table"] = f"error: {type(error).__name__}"
    config = gw.settings
    for queue in (config.dispatch_queue, config.notify_queue, config.export_parts_queue):
        for name in (queue, dead_letter_queue(queue)):
            try:
                gw.queues.url(name)
                checks[name] = "ok"
            except Exception as error:  # noqa: BLE001
                checks[name] = f"error: {type(error).__name__}"
    return all(value == "ok" for value in checks.values()), checks
