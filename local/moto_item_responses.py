"""DynamoDB item operations in moto, answered with their result as JSON.

moto answers every request through a serializer that walks the operation's output shape and, for
each member, tries several spellings of its name on the result. For an item operation the result is
already the wire form (attribute values as `{"S": ...}` maps), and the walk over a 30-attribute item
costs as much as the operation itself: an `UpdateItem` returning `ALL_NEW` takes twice as long as
one returning nothing. LocalAws applies DynamoDB requests one at a time, so that cost adds up
across a batch of workers.

Installed by LocalAws: the operations below answer with `json.dumps` of moto's result. Errors, and
every other operation, still go through moto's serializer. DynamoDB Streams' `GetRecords` too: its
records hold whole item images (the stream pump reads up to 100 a call), so moto's serializer made
it the local AWS's dearest request, about 100 ms a call. `tests/integration/test_moto_item_responses.py`
holds the two answers equal for each operation. Pinned to moto's `BaseResponse.serialized` (5.2).
"""
from __future__ import annotations

import base64
import calendar
import functools
import json
from typing import Any, Callable

from moto.core.utils import get_service_model
from datetime import datetime

from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

from local import moto_version

ITEM_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems",
})
STREAM_OPERATIONS = frozenset({"GetRecords"})
_INSTALLED_FLAG = "_answers_items_as_json"


def answer_as_json(handler: DynamoHandler | DynamoDBStreamsHandler, result: dict) -> tuple[int, dict, str]:
    """The result's members of the operation's output (moto adds a few others), as JSON. Raises
    TypeError for a value JSON has no form for, other than bytes (base64, as on the wire) and
    datetimes (epoch seconds, as moto's serializer writes them)."""
    members = _output_members(handler.service_name, handler._get_action())
    answer = {name: value for name, value in result.items() if name in members}
    headers = {"Content-Type": "application/x-amz-json-1.0", **handler.response_headers}
    return 200, headers, json.dumps(answer, separators=(",", ":"), default=_binary)


@functools.cache
def _output_members(service: str, operation: str) -> frozenset[str]:
    return frozenset(get_service_model(service).operation_model(operation).output_shape.members)


def _binary(value: Any) -> str | float:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):  # as moto's serializer: UTC (moto's are naive), whole milliseconds
        return calendar.timegm(value.timetuple()) + (value.microsecond // 1000) / 1000.0
    raise TypeError(f"{type(value).__name__} has no JSON form")


def answering_items_as_json(original: Callable[[Any, Any], Any],
                            operations: frozenset[str] = ITEM_OPERATIONS) -> Callable[[Any, Any], Any]:
    """`DynamoHandler.serialized` (or the streams handler's), answering `operations`' results as JSON."""

    @functools.wraps(original)
    def serialized(self: Any, action_result: Any) -> Any:
        result = action_result.result
        if not isinstance(result, dict) or self._get_action() not in operations:
            return original(self, action_result)
        try:
            return answer_as_json(self, result)
        except TypeError:
            return original(self, action_result)

    return serialized


def install() -> None:
    """Patch moto's DynamoDB handler in this process (idempotent)."""
    moto_version.check()
    if not getattr(DynamoHandler, _INSTALLED_FLAG, False):
        DynamoHandler.serialized = answering_items_as_json(DynamoHandler.serialized)
        setattr(DynamoHandler, _INSTALLED_FLAG, True)
    if not getattr(DynamoDBStreamsHandler, _INSTALLED_FLAG, False):
        DynamoDBStreamsHandler.serialized = answering_items_as_json(DynamoDBStreamsHandler.serialized,
                                                                    STREAM_OPERATIONS)
        setattr(DynamoDBStreamsHandler, _INSTALLED_FLAG, True)
