"""Claims for loss or damage after a successful interception: `open` -> `paid` | `rejected`.

Opening or resolving a claim writes the claim and a history event on its intercept in one
transaction; its webhook follows through the table's stream (chalicelib/webhooks/relay.py), which
reads the claim's `platform_id`.
"""
from __future__ import annotations

from chalicelib.domain.models import Claim, ClaimStatus, Event, Intercept
from chalicelib.store import keys
from chalicelib.store.codec import to_item
from chalicelib.store.intercepts import event_entry
from chalicelib.store.refusals import StaleState
from chalicelib.store.table import Table, TransactionCancelled, new_put


class ClaimStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def create(self, record: Intercept, claim: Claim, event: Event) -> None:
        self._table.transact([new_put({**keys.claim(record.id, claim.id), **claim.model_dump(mode="json"),
                                       "platform_id": record.platform_id}),
                              event_entry(record.id, event)])

    def resolve(self, record: Intercept, resolved: Claim, event: Event) -> None:
        """Move an open claim to `resolved.status`; StaleState if it is no longer open."""
        try:
            self._table.transact([
                {"Update": {"Key": to_item(keys.claim(record.id, resolved.id)),
                            "UpdateExpression": "SET #status = :to, updated_at = :at, resolution_note = :note",
                            "ConditionExpression": "#status = :open", "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": to_item({
                                ":to": resolved.status.value, ":at": resolved.updated_at,
                                ":note": resolved.resolution_note, ":open": ClaimStatus.open.value})}},
                event_entry(record.id, event)])
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                raise StaleState(f"claim {resolved.id} is no longer open") from cancelled
            raise
