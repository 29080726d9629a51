"""After-sales of several parcels: one item each (`keys.after_sale`), written with the parcels'
records when created, then by conditional updates on its `version`, alone (a refund decision, a
timeout) or in the transaction of a parcel's change that moved it (`InterceptStore.apply`).
"""
from __future__ import annotations

from typing import Any

from chalicelib.domain.changes import AfterSaleChange
from chalicelib.domain.models import AfterSale
from chalicelib.store import keys
from chalicelib.store.codec import to_item
from chalicelib.store.refusals import StaleState
from chalicelib.store.table import Table, TransactionCancelled


def after_sale_values(change: AfterSaleChange, shards: keys.Shards) -> dict:
    """A new after-sale's item, with its refund deadline listed for the sweep while it runs."""
    record = change.after
    values = {**keys.after_sale(record.platform_id, record.id)}
    if change.refund_due:
        values.update(keys.refund_due_entry(f"{record.platform_id}/{record.id}", shards))
    return {**values, **record.model_dump(mode="json")}


def update_entry(change: AfterSaleChange) -> dict:
    """The transaction entry writing `change`, conditioned on the version it was decided on."""
    before, after = change.before, change.after
    assert before is not None, "a new after-sale is written with its parcels' records"
    assigned: dict[str, Any] = {name: value for name, value in change.fields.items() if value is not None}
    assigned["parcels"] = [parcel.model_dump(mode="json") for parcel in after.parcels]
    assigned["events"] = [event.model_dump(mode="json") for event in after.events]
    assigned = {name: (value.value if hasattr(value, "value") else value) for name, value in assigned.items()}
    names = {f"#f{i}": name for i, name in enumerate(assigned)}
    values = {f":v{i}": value for i, value in enumerate(assigned.values())}
    expression = "SET " + ", ".join(f"{alias} = :v{i}" for i, alias in enumerate(names)) + ", #version = :next"
    names["#version"] = "version"
    values.update({":expected": before.version, ":next": after.version})
    if change.refund_moved and not change.refund_due:
        expression += " REMOVE " + ", ".join(keys.REFUND_DUE_ATTRIBUTES)
    return {"Update": {"Key": to_item(keys.after_sale(after.platform_id, after.id)), "UpdateExpression": expression,
                       "ConditionExpression": "#version = :expected", "ExpressionAttributeNames": names,
                       "ExpressionAttributeValues": to_item(values)}}


class AfterSaleStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, platform_id: str, after_sale_id: str) -> AfterSale | None:
        found = self._table.get(keys.after_sale(platform_id, after_sale_id))
        return AfterSale.model_validate(found) if found else None

    def apply(self, change: AfterSaleChange) -> None:
        """Write a change of the after-sale alone. Raises StaleState when it moved on meanwhile."""
        try:
            self._table.transact([update_entry(change)])
        except TransactionCancelled as cancelled:
            raise StaleState(f"after-sale {change.after.id} is no longer version {change.before.version}") \
                from cancelled
