"""Claims for loss or damage after a successful interception: `open` -> `paid` | `rejected`.

Opening or resolving a claim writes the claim, a history event on its intercept and its webhook
delivery in one transaction, like a status change.
"""
from __future__ import annotations

from datetime import datetime

from chalicelib.domain.models import Claim, ClaimStatus, Event, Intercept
from chalicelib.store import keys
from chalicelib.store.codec import to_item
from chalicelib.store.deliveries import outbox_entries
from chalicelib.store.intercepts import event_entry
from chalicelib.store.refusals import StaleState
from chalicelib.store.table import Table, TransactionCancelled, new_put


class ClaimStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def create(self, record: Intercept, claim: Claim, event: Event, webhooks: list[tuple[str, str]],
               now: datetime) -> list[dict]:
        """Returns the webhook deliveries to queue."""
        outbox, deliveries = outbox_entries(record.platform_id, record.id, webhooks, now)
        self._table.transact([new_put({**keys.claim(record.id, claim.id), **claim.model_dump(mode="json")}),
                              event_entry(record.id, event), *outbox])
        return deliveries

    def resolve(self, record: Intercept, resolved: Claim, event: Event, webhooks: list[tuple[str, str]],
                now: datetime) -> list[dict]:
        """Move an open claim to `resolved.status`; StaleState if it is no longer open."""
        outbox, deliveries = outbox_entries(record.platform_id, record.id, webhooks, now)
        try:
            self._table.transact([
                {"Update": {"Key": to_item(keys.claim(record.id, resolved.id)),
                            "UpdateExpression": "SET #status = :to, updated_at = :at, resolution_note = :note",
                            "ConditionExpression": "#status = :open", "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": to_item({
                                ":to": resolved.status.value, ":at": resolved.updated_at,
                                ":note": resolved.resolution_note, ":open": ClaimStatus.open.value})}},
                event_entry(record.id, event), *outbox])
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                raise StaleState(f"claim {resolved.id} is no longer open") from cancelled
            raise
        return deliveries
