"""Circuit-breaker state per carrier, in the single table, shared by every worker instance.

One item per carrier (`BREAKER#<carrier>` / `BREAKER`). Every change is a conditional write, so
concurrent workers agree on one transition: one opens the circuit, one takes the half-open probe.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def breaker_key(carrier: str) -> dict:
    return {"PK": f"BREAKER#{carrier}", "SK": "BREAKER"}


@dataclass(frozen=True)
class BreakerRecord:
    carrier: str
    state: str = CLOSED
    failures: int = 0
    open_until: str = ""    # ISO time the cool-down ends (open)
    probe_until: str = ""   # ISO time the half-open probe's lease ends


def _values(values: dict) -> dict:
    return {name: _serializer.serialize(value) for name, value in values.items()}


class BreakerStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    def get(self, carrier: str) -> BreakerRecord:
        item = self._db.get_item(TableName=self._table, Key=_values(breaker_key(carrier)),
                                 ConsistentRead=True).get("Item")
        return self._record(carrier, item) if item else BreakerRecord(carrier)

    def get_many(self, carriers: list[str]) -> list[BreakerRecord]:
        """Several carriers' records in one request. A key DynamoDB hands back unread (under
        throttling) is left out: callers read ahead with this and fall back to `get`."""
        if len(carriers) == 1:
            return [self.get(carriers[0])]
        answer = self._db.batch_get_item(RequestItems={self._table: {
            "Keys": [_values(breaker_key(carrier)) for carrier in carriers], "ConsistentRead": True}})
        found = {item["PK"]["S"]: item for item in answer.get("Responses", {}).get(self._table, [])}
        unread = {key["PK"]["S"] for key in answer.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])}
        records = []
        for carrier in carriers:
            partition = breaker_key(carrier)["PK"]
            if partition in found:
                records.append(self._record(carrier, found[partition]))
            elif partition not in unread:
                records.append(BreakerRecord(carrier))  # never failed: no item yet
        return records

    def add_failure(self, carrier: str) -> BreakerRecord:
        """Count one more consecutive failure (creating the item closed if it is new)."""
        found = self._db.update_item(
            TableName=self._table, Key=_values(breaker_key(carrier)),
            UpdateExpression="SET #state = if_not_exists(#state, :closed) ADD failures :one",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=_values({":closed": CLOSED, ":one": 1}), ReturnValues="ALL_NEW")
        return self._record(carrier, found["Attributes"])

    def move(self, carrier: str, expected_state: str, new_state: str, *, open_until: str = "", probe_until: str = "",
             expired_before: str | None = None) -> bool:
        """Change state if it is still `expected_state` (and, with `expired_before`, its open or
        probe time has passed). False when another worker got there first."""
        condition = "#state = :expected"
        values: dict[str, Any] = {":expected": expected_state, ":new": new_state, ":open_until": open_until,
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
        try:
            self._db.update_item(TableName=self._table, Key=_values(breaker_key(carrier)), UpdateExpression=update,
                                 ConditionExpression=condition, ExpressionAttributeNames={"#state": "state"},
                                 ExpressionAttributeValues=_values(values))
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    @staticmethod
    def _record(carrier: str, item: dict) -> BreakerRecord:
        data = {name: _deserializer.deserialize(value) for name, value in item.items()}
        return BreakerRecord(carrier=carrier, state=data.get("state", CLOSED), failures=int(data.get("failures", 0)),
                             open_until=data.get("open_until", ""), probe_until=data.get("probe_until", ""))
