"""Counts every AWS API call made through botocore, and the DynamoDB capacity each would consume.

A botocore event hook on the default session sees every client created after `install()`: it
tallies calls by (step, service, operation) and, for DynamoDB, the read and write request units an
on-demand table would bill, computed from the sizes of the items moto holds (moto itself reports
fixed placeholder capacities). The rules are DynamoDB's published ones:

- item size: attribute names plus values (strings and binaries by byte length, numbers about one
  byte per two significant digits plus one, lists and maps 3 bytes plus 1 per element);
- a write is 1 WRU per started 1 KB of the larger of the item before and after, a transactional
  write 2; each GSI whose keys the item has (before or after) is written too: its entry is
  rewritten when it projects ALL, left alone when keys-only and its keys did not change; a key
  that changes is a delete plus a put; a failed condition still costs the table write;
- a read is 1 RRU per started 4 KB (strongly consistent), half that eventually consistent, twice
  that transactional; a Query sums the sizes of the items it returns before rounding.
"""
from __future__ import annotations

import contextlib
import math
import threading
from collections import Counter
from decimal import Decimal
from typing import Any, Iterable, Iterator

import boto3
import botocore.client
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.dynamo_type import DynamoType

from chalicelib.store.schema import INDEXES, KEYS_ONLY_INDEXES, TABLE_KEYS

WRITE_KB, READ_KB = 1024, 4096


def item_size(item: dict | None) -> int:
    """Bytes DynamoDB bills for an item in DynamoDB JSON ({"name": {"S": "..."}, ...})."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + _value_size(value) for name, value in item.items())


def _value_size(value: dict) -> int:
    (kind, content), = value.items()
    if kind == "S":
        return len(content.encode("utf-8"))
    if kind == "N":
        return _number_size(content)
    if kind == "B":
        return len(content)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(text.encode("utf-8")) for text in content)
    if kind == "NS":
        return sum(_number_size(number) for number in content)
    if kind == "BS":
        return sum(len(blob) for blob in content)
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + _value_size(element) for name, element in content.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def _number_size(text: str) -> int:
    digits = Decimal(text).normalize().as_tuple().digits
    return math.ceil(len(digits) / 2) + 1


def write_units(before: dict | None, after: dict | None, condition_failed: bool = False,
                transactional: bool = False) -> tuple[float, float]:
    """(table WRU, index WRU) for one item write."""
    old_units, new_units = _kilobytes(before), _kilobytes(after)
    table = max(1, old_units, new_units) * (2 if transactional else 1)
    if condition_failed:
        return table, 0
    return table, sum(index_write_units(name, before, after) for name in INDEXES)


def index_write_units(index: str, before: dict | None, after: dict | None) -> int:
    """WRU one item write costs an index: an entry that keeps its keys is rewritten in place when
    the index projects ALL (a keys-only entry has nothing to change); new keys are a delete and a put."""
    return sum(units for _, units in index_writes_by_partition(index, before, after))


def index_writes_by_partition(index: str, before: dict | None, after: dict | None) -> list[tuple[str, int]]:
    """`index_write_units`, as (the index partition key value written, WRU): a delete counts on the
    old entry's partition, a put on the new one's."""
    partition, sort = INDEXES[index]
    keys_only = index in KEYS_ONLY_INDEXES
    old_key = (before or {}).get(partition), (before or {}).get(sort)
    new_key = (after or {}).get(partition), (after or {}).get(sort)
    old_in, new_in = None not in old_key, None not in new_key
    old_units, new_units = (1, 1) if keys_only else (_kilobytes(before), _kilobytes(after))
    if old_in and new_in and old_key == new_key:
        units = 0 if keys_only or before == after else max(old_units, new_units)
        return [(old_key[0]["S"], units)] if units else []
    return ([(old_key[0]["S"], old_units)] if old_in else []) + ([(new_key[0]["S"], new_units)] if new_in else [])


def _kilobytes(item: dict | None) -> int:
    return math.ceil(item_size(item) / WRITE_KB)


def read_units(total_bytes: int, consistent: bool, transactional: bool = False) -> float:
    units = max(1, math.ceil(total_bytes / READ_KB))
    if transactional:
        return units * 2
    return units if consistent else units / 2


class AwsMeter:
    """Tallies AWS calls and DynamoDB capacity by step; `step` names what the calls are for."""

    def __init__(self, region: str = "us-east-1", capacity: bool = True) -> None:
        """`capacity=False` only counts calls (for AWS that is not moto in this process)."""
        self.step = "setup"
        self._capacity = capacity
        self.calls: Counter[tuple[str, str, str]] = Counter()
        self.read_units: Counter[str] = Counter()
        self.write_units: Counter[str] = Counter()
        self.index_write_units: Counter[str] = Counter()
        #: (step, "table" or an index, partition key value, "write" or "read") -> request units
        self.heat: Counter[tuple[str, str, str, str]] = Counter()
        self._region = region
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """Within, the gateway's session (chalicelib/aws.py) and boto3's default session are fresh
        ones whose clients are counted; the previous sessions are put back on the way out."""
        import botocore.session

        from chalicelib import aws

        previous = boto3.DEFAULT_SESSION
        boto3.setup_default_session()
        gateway_session = botocore.session.get_session()
        for events in (boto3.DEFAULT_SESSION.events, gateway_session):
            events.register("before-parameter-build", self._before)
            events.register("after-call", self._after)
        previous_gateway = aws.replace_session(gateway_session)
        try:
            yield
        finally:
            boto3.DEFAULT_SESSION = previous
            aws.replace_session(previous_gateway)

    def reset(self) -> None:
        with self._lock:
            for counter in (self.calls, self.read_units, self.write_units, self.index_write_units, self.heat):
                counter.clear()

    def calls_in(self, step: str | None = None, service: str | None = None) -> Counter[tuple[str, str]]:
        """(service, operation) -> count, for one step or all."""
        found: Counter[tuple[str, str]] = Counter()
        for (call_step, call_service, operation), count in self.calls.items():
            if (step is None or call_step == step) and (service is None or call_service == service):
                found[(call_service, operation)] += count
        return found

    def steps(self) -> list[str]:
        return list(dict.fromkeys(step for step, _, _ in self.calls))

    # -- hooks --------------------------------------------------------------------------------

    def _before(self, model: Any, params: dict, context: dict, **_: Any) -> None:
        context["meter_step"] = self.step
        context["meter_operation"] = model.name + _entity(params)
        if self._capacity and model.service_model.endpoint_prefix == "dynamodb":
            context["meter_request"] = params
            context["meter_before"] = [self._stored(table, key) for table, key in _written_keys(model.name, params)]

    def _after(self, model: Any, http_response: Any, parsed: dict, context: dict, **_: Any) -> None:
        step = context.get("meter_step", self.step)
        service = model.service_model.endpoint_prefix
        with self._lock:
            self.calls[(step, service, context.get("meter_operation", model.name))] += 1
        if service == "dynamodb" and "meter_before" in context:
            self._charge(step, model.name, parsed, context["meter_before"], context["meter_request"])

    def _stored(self, table_name: str, key: dict) -> dict | None:
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID][self._region].get_table(table_name)
        hash_name, range_name = TABLE_KEYS
        found = table.get_item(DynamoType(key[hash_name]), DynamoType(key[range_name]) if range_name in key else None)
        return found.to_json()["Attributes"] if found is not None else None

    def _charge(self, step: str, operation: str, parsed: dict, before: list, request: dict) -> None:
        reads = writes = index_writes = 0.0
        heat: Counter[tuple[str, str, str, str]] = Counter()
        if operation == "GetItem":
            reads = read_units(item_size(parsed.get("Item")), bool(request.get("ConsistentRead")))
            heat[(step, "table", request["Key"][TABLE_KEYS[0]]["S"], "read")] += reads
        elif operation == "Query" or operation == "Scan":
            total = sum(item_size(item) for item in parsed.get("Items", []))
            reads = read_units(total, bool(request.get("ConsistentRead")) and "IndexName" not in request)
            if operation == "Query":
                heat[(step, request.get("IndexName", "table"), _queried_partition(request), "read")] += reads
        elif operation == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                consistent = bool(request["RequestItems"][table].get("ConsistentRead"))
                for item in items:
                    units = read_units(item_size(item), consistent)
                    reads += units
                    heat[(step, "table", item[TABLE_KEYS[0]]["S"], "read")] += units
        elif operation == "TransactGetItems":
            reads = sum(read_units(item_size(entry.get("Item")), True, transactional=True)
                        for entry in parsed.get("Responses", []))
        else:
            failed = _failed_writes(operation, parsed, len(before))
            transactional = operation == "TransactWriteItems"
            for (table, key), old, condition_failed in zip(_written_keys(operation, request), before, failed):
                new = self._stored(table, key)
                table_units, index_units = write_units(old, new, condition_failed, transactional)
                writes += table_units
                index_writes += index_units
                heat[(step, "table", key[TABLE_KEYS[0]]["S"], "write")] += table_units
                if not condition_failed:
                    for index in INDEXES:
                        for partition, units in index_writes_by_partition(index, old, new):
                            heat[(step, index, partition, "write")] += units
        with self._lock:
            self.read_units[step] += reads
            self.write_units[step] += writes
            self.index_write_units[step] += index_writes
            self.heat.update(heat)


def _queried_partition(request: dict) -> str:
    """The partition key value a Query reads: the value bound to the key condition's `=`."""
    condition = request["KeyConditionExpression"]
    placeholder = condition.split("=", 1)[1].split()[0]
    names = request.get("ExpressionAttributeNames", {})
    value = request["ExpressionAttributeValues"].get(names.get(placeholder, placeholder), {})
    return value.get("S", "?")


def _entity(params: dict) -> str:
    """`(KIND)` for a single-item DynamoDB call, from its key's prefix (INTERCEPT, BREAKER, ...)."""
    key = params.get("Key") or params.get("Item")
    partition = key.get(TABLE_KEYS[0], {}).get("S") if isinstance(key, dict) else None
    return f"({partition.split('#', 1)[0]})" if partition else ""


def _written_keys(operation: str, params: dict) -> Iterable[tuple[str, dict]]:
    """(table, key) of each item a DynamoDB write request touches, in request order."""
    hash_name, range_name = TABLE_KEYS

    def key_of(item: dict) -> dict:
        return {name: item[name] for name in (hash_name, range_name) if name in item}

    if operation == "PutItem":
        return [(params["TableName"], key_of(params["Item"]))]
    if operation in ("UpdateItem", "DeleteItem"):
        return [(params["TableName"], params["Key"])]
    if operation == "TransactWriteItems":
        found = []
        for entry in params["TransactItems"]:
            (kind, body), = entry.items()
            found.append((body["TableName"], key_of(body["Item"]) if kind == "Put" else body["Key"]))
        return found
    if operation == "BatchWriteItem":
        return [(table, key_of(request["PutRequest"]["Item"]) if "PutRequest" in request
                 else request["DeleteRequest"]["Key"])
                for table, requests in params["RequestItems"].items() for request in requests]
    return []


def _failed_writes(operation: str, parsed: dict, count: int) -> list[bool]:
    code = parsed.get("Error", {}).get("Code")
    if operation == "TransactWriteItems" and code == "TransactionCanceledException":
        reasons = parsed.get("CancellationReasons") or [{}] * count
        return [reason.get("Code") == "ConditionalCheckFailed" for reason in reasons]
    return [code == "ConditionalCheckFailedException"] * count


@contextlib.contextmanager
def serialised_aws_calls():
    """One AWS call at a time in this process. moto in-process is not safe under concurrent calls
    (parallel dispatch threads lost a conditional update); DynamoDB is, and the counts are the same."""
    lock = threading.RLock()
    original = botocore.client.BaseClient._make_api_call

    def call(client, operation, params):
        with lock:
            return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = call
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = original
