"""Fee export runs: one item per (platform, period) holding its current run, and one marker per
part counted done.

A run goes `running` -> `assembling` -> `published`. Every step is a conditional write on the run's
id and status, so a part of a run that another has replaced changes nothing:
- counting a part done is one transaction of the part's marker (created only if absent) and
  `parts_done + 1` on the run (only while it runs): a redelivered part is counted once;
- the part that finds `parts_done = parts_total` claims the assembly (`assembler`): exactly one
  does, and only its redelivery may assemble again;
- a new run replaces the item only when the current one is published, abandoned (its parts could
  not be queued) or has made no progress for a while (stalled: a part dead-lettered, say).
"""
from __future__ import annotations

from typing import Any

from chalicelib.store import keys
from chalicelib.store.codec import to_item
from chalicelib.store.table import Table, TransactionCancelled, new_put

RUNNING, ASSEMBLING, PUBLISHED = "running", "assembling", "published"
#: A run whose parts could not all be queued: nothing will finish it.
ABANDONED = "abandoned"

#: Part markers are only read while their run is in progress: kept a week, then expired (the table's TTL).
MARKER_SECONDS = 7 * 24 * 3600


class FeeExportRunStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, platform_id: str, period: str) -> dict | None:
        return self._table.get(keys.fee_export_run(platform_id, period))

    def start(self, run: dict, stalled_before: str) -> dict | None:
        """Make `run` the period's current run; None when it is, else the run in progress that
        prevents it (running or assembling, and not stalled: progress since `stalled_before`)."""
        key = keys.fee_export_run(run["platform_id"], run["period"])
        started = self._table.put(
            {**key, **run}, ConditionExpression="attribute_not_exists(PK) OR NOT #status IN (:running, :assembling) "
                                                "OR updated_at < :stalled",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_item({":running": RUNNING, ":assembling": ASSEMBLING,
                                               ":stalled": stalled_before}))
        return None if started else (self._table.get(key) or {})

    def abandon(self, platform_id: str, period: str, run_id: str) -> None:
        self._table.update(
            keys.fee_export_run(platform_id, period), UpdateExpression="SET #status = :abandoned",
            ConditionExpression="run_id = :run AND #status = :running", ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_item({":abandoned": ABANDONED, ":run": run_id, ":running": RUNNING}))

    def part_counted(self, platform_id: str, period: str, run_id: str, part_name: str) -> bool:
        return self._table.get(keys.fee_export_part(platform_id, period, run_id, part_name)) is not None

    def count_part(self, platform_id: str, period: str, run_id: str, part_name: str, now: str,
                   expires_at: int) -> str:
        """`counted`, `counted before` (the marker exists) or `obsolete` (the run is not running)."""
        try:
            self._table.transact([
                new_put({**keys.fee_export_part(platform_id, period, run_id, part_name), "expires_at": expires_at}),
                {"Update": {"Key": to_item(keys.fee_export_run(platform_id, period)),
                            "UpdateExpression": "ADD parts_done :one SET updated_at = :now",
                            "ConditionExpression": "run_id = :run AND #status = :running",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": to_item(
                                {":one": 1, ":now": now, ":run": run_id, ":running": RUNNING})}}])
        except TransactionCancelled as refused:
            if refused.failed_at(0):
                return "counted before"
            if refused.failed_at(1):
                return "obsolete"
            raise
        return "counted"

    def claim_assembly(self, platform_id: str, period: str, run_id: str, part_name: str, now: str) -> bool:
        """True for the one part that finds every part counted (and again for its redelivery)."""
        return self._table.update(
            keys.fee_export_run(platform_id, period),
            UpdateExpression="SET #status = :assembling, assembler = :part, updated_at = :now",
            ConditionExpression="run_id = :run AND parts_done = parts_total AND "
                                "(#status = :running OR (#status = :assembling AND assembler = :part))",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_item({":assembling": ASSEMBLING, ":running": RUNNING, ":part": part_name,
                                               ":run": run_id, ":now": now})) is not None

    def publish(self, platform_id: str, period: str, run_id: str, now: str) -> bool:
        return self._table.update(
            keys.fee_export_run(platform_id, period), UpdateExpression="SET #status = :published, updated_at = :now",
            ConditionExpression="run_id = :run AND #status = :assembling", ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_item({":published": PUBLISHED, ":assembling": ASSEMBLING, ":run": run_id,
                                               ":now": now})) is not None


def progress(run: dict[str, Any]) -> dict:
    """What a caller sees of a run."""
    return {name: run.get(name) for name in ("run_id", "period", "status", "parts_total", "parts_done",
                                             "started_at", "updated_at")}
