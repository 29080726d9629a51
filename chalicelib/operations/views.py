"""The operator's view across every platform (GET/POST /v1/operations/...)."""
from __future__ import annotations

import re

from chalicelib.clock import Clock
from chalicelib.config import dead_letter_queue
from chalicelib.domain.lifecycle import OPEN
from chalicelib.domain.models import Carrier, InterceptStatus
from chalicelib.errors import BadRequest, NotFound
from chalicelib.operations.redrive import Redrive
from chalicelib.queues import Queues
from chalicelib.store import InvalidCursor, Store
from chalicelib.usecases.change_writer import ChangeWriter

#: Retrying deliveries read at most per request to count the failing ones (the count stops there).
FAILING_DELIVERIES_READ_LIMIT = 1000
#: Intercepts per page of GET /v1/operations/intercepts: by default, and at most.
DEFAULT_PAGE, MAX_PAGE = 50, 200


class Operations:
    def __init__(self, store: Store, queues: Queues, changes: ChangeWriter, clock: Clock, *, dispatch_queue: str,
                 notify_queue: str, queue_names: tuple[str, ...]) -> None:
        self._store = store
        self._queues = queues
        self._queue_names = queue_names
        self._redrive = Redrive(queues, store.intercepts, store.deliveries, changes, clock,
                                dispatch_queue=dispatch_queue, notify_queue=notify_queue)

    def carriers(self) -> dict:
        """Every carrier's circuit breaker; closed for one that never failed (it has no item)."""
        codes = [carrier.value for carrier in Carrier]
        states = {state.carrier: state for state in self._store.circuits.get_many(codes)}
        circuits = [states.get(code) or self._store.circuits.get(code) for code in codes]
        return {"carriers": [{"carrier": circuit.carrier, "breaker": {
            "state": circuit.state, "consecutive_failures": circuit.failures,
            "open_until": circuit.open_until or None}} for circuit in circuits]}

    def queues(self) -> dict:
        shown = []
        for name in self._queue_names:
            waiting, in_flight = self._queues.depth(name)
            dead = dead_letter_queue(name)
            shown.append({"name": name, "depth": waiting, "in_flight": in_flight,
                          "dead_letter": {"name": dead, "depth": self._queues.depth(dead)[0]}})
        return {"queues": shown}

    def redrive(self, queue: str, max_messages: int) -> dict:
        if queue not in self._queue_names:
            raise NotFound(f"no queue {queue!r}; one of {', '.join(self._queue_names)}",
                           fields=[{"field": "name", "problem": "unknown queue"}])
        result = self._redrive.run(queue, max_messages)
        return {"queue": queue, "moved": result.moved, "dropped": result.dropped, "left": result.left}

    def intercepts(self, params: dict[str, str]) -> dict:
        """A page of every platform's intercepts in an open status (needs_attention unless named),
        most recently changed first, each with its platform_id."""
        status, limit, cursor = _open_listing_query(params)
        try:
            records, next_cursor = self._store.intercepts.open_page(status, limit, cursor)
        except InvalidCursor as error:
            raise BadRequest(str(error), fields=[{"field": "cursor", "problem": str(error)}]) from None
        return {"items": [{**record.public(with_events=False), "platform_id": record.platform_id}
                          for record in records], "next_cursor": next_cursor}

    def webhook_endpoints(self) -> dict:
        """Every platform's endpoint that is disabled or has failing deliveries.

        Failing: a delivery still pending whose retries have grown longer than a queue delay holds
        (next attempt more than 15 minutes off: about its fifth failure in a row, some seven minutes
        of failing), the ones the outbox index lists; counted up to FAILING_DELIVERIES_READ_LIMIT
        over all platforms. A delivery that exhausted its three days is on the notify DLQ instead.
        """
        failing: dict[str, list[dict]] = {}
        for delivery in self._store.deliveries.retrying(FAILING_DELIVERIES_READ_LIMIT):
            failing.setdefault(delivery["platform_id"], []).append(delivery)
        platform_ids = sorted(platform.id for platform in self._store.platforms.all())
        endpoints = self._store.webhook_endpoints.many(platform_ids)
        shown = []
        for platform_id in platform_ids:
            endpoint, deliveries = endpoints.get(platform_id), failing.get(platform_id, [])
            if endpoint is None or (endpoint.get("enabled") and not deliveries):
                continue
            last = max((delivery["attempt_log"][-1] for delivery in deliveries if delivery.get("attempt_log")),
                       key=lambda attempt: attempt["at"], default=None)
            shown.append({"platform_id": platform_id, "url": endpoint["url"], "enabled": bool(endpoint.get("enabled")),
                          "disabled_reason": endpoint.get("disabled_reason"), "failing_deliveries": len(deliveries),
                          "last_failure_at": last["at"] if last else None,
                          "last_error": last.get("error") if last else None})
        return {"endpoints": shown}


def _open_listing_query(params: dict[str, str]) -> tuple[InterceptStatus, int, str | None]:
    """status (an open one; needs_attention by default), limit and cursor; 400 naming each bad one."""
    problems = [{"field": name, "problem": "unknown query parameter"} for name in params
                if name not in ("status", "limit", "cursor")]
    open_statuses = sorted(status.value for status in OPEN)
    status = InterceptStatus.needs_attention
    if "status" in params:
        if params["status"] in open_statuses:
            status = InterceptStatus(params["status"])
        else:
            problems.append({"field": "status", "problem": f"must be one of {', '.join(open_statuses)}"})
    limit = DEFAULT_PAGE
    if "limit" in params:
        text = params["limit"]
        if re.fullmatch(r"[0-9]{1,3}", text) and 1 <= int(text) <= MAX_PAGE:
            limit = int(text)
        else:
            problems.append({"field": "limit", "problem": f"must be a whole number from 1 to {MAX_PAGE}"})
    if problems:
        raise BadRequest("query parameters are invalid", fields=problems)
    return status, limit, params.get("cursor") or None
