"""Circuit-breaker state per carrier, in the single table, shared by every worker instance.

One item per carrier (`keys.circuit`). Every change is a conditional write, so concurrent workers
agree on one transition: one opens the circuit, one takes the half-open probe. The breaker's
rules are in chalicelib/dispatch/circuit_breaker.py.
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.store import keys
from chalicelib.store.codec import data, to_item
from chalicelib.store.table import Table

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass(frozen=True)
class CircuitState:
    carrier: str
    state: str = CLOSED
    failures: int = 0
    open_until: str = ""    # ISO time the cool-down ends (open)
    probe_until: str = ""   # ISO time the half-open probe's lease ends


class CircuitStore:
    def __init__(self, table: Table) -> None:
        self._table = table

    def get(self, carrier: str) -> CircuitState:
        found = self._table.get(keys.circuit(carrier))
        return _state(carrier, found) if found else CircuitState(carrier)

    def get_many(self, carriers: list[str]) -> list[CircuitState]:
        """Several carriers' states in one request. A key DynamoDB hands back unread (under
        throttling) is left out: callers read ahead with this and fall back to `get`."""
        if len(carriers) == 1:
            return [self.get(carriers[0])]
        table = self._table
        answer = table.client.batch_get_item(RequestItems={table.name: {
            "Keys": [to_item(keys.circuit(carrier)) for carrier in carriers], "ConsistentRead": True}})
        found = {item["PK"]["S"]: item for item in answer.get("Responses", {}).get(table.name, [])}
        unread = {key["PK"]["S"] for key in answer.get("UnprocessedKeys", {}).get(table.name, {}).get("Keys", [])}
        states = []
        for carrier in carriers:
            partition = keys.circuit(carrier)["PK"]
            if partition in found:
                states.append(_state(carrier, data(found[partition])))
            elif partition not in unread:
                states.append(CircuitState(carrier))  # never failed: no item yet
        return states

    def add_failure(self, carrier: str) -> CircuitState:
        """Count one more consecutive failure (creating the item closed if it is new)."""
        found = self._table.update(
            keys.circuit(carrier), UpdateExpression="SET #state = if_not_exists(#state, :closed) ADD failures :one",
            ExpressionAttributeNames={"#state": "state"}, ExpressionAttributeValues=to_item({":closed": CLOSED, ":one": 1}),
            ReturnValues="ALL_NEW")
        return _state(carrier, found)

    def move(self, carrier: str, expected_state: str, new_state: str, *, open_until: str = "", probe_until: str = "",
             expired_before: str | None = None) -> bool:
        """Change state if it is still `expected_state` (and, with `expired_before`, its open or
        probe time has passed). False when another worker got there first."""
        condition = "#state = :expected"
        values = {":expected": expected_state, ":new": new_state, ":open_until": open_until,
                  ":probe_until": probe_until}
        if expired_before is not None:
            field = "open_until" if expected_state == OPEN else "probe_until"
            condition += f" AND {field} < :now"
            values[":now"] = expired_before
        return self._conditional_update(
            carrier, "SET #state = :new, open_until = :open_until, probe_until = :probe_until", condition, values)

    def close(self, carrier: str) -> None:
        """Closed with no failures counted; a no-op (no write) when it already is."""
        self._conditional_update(
            carrier, "SET #state = :closed, failures = :zero, open_until = :empty, probe_until = :empty",
            "attribute_exists(PK) AND (#state <> :closed OR failures > :zero)",
            {":closed": CLOSED, ":zero": 0, ":empty": ""})

    def _conditional_update(self, carrier: str, update: str, condition: str, values: dict) -> bool:
        return self._table.update(keys.circuit(carrier), UpdateExpression=update, ConditionExpression=condition,
                                  ExpressionAttributeNames={"#state": "state"},
                                  ExpressionAttributeValues=to_item(values)) is not None


def _state(carrier: str, found: dict) -> CircuitState:
    return CircuitState(carrier=carrier, state=found.get("state", CLOSED), failures=int(found.get("failures", 0)),
                        open_until=found.get("open_until", ""), probe_until=found.get("probe_until", ""))
