"""DynamoDB item operations in moto, answered with their result as JSON.

moto answers every request through a serializer that walks the operation's output shape and, for
each member, tries several spellings of its name on the result. For an item operation the result is
already the wire form (attribute values as `{"S": ...}` maps), and the walk over a 30-attribute item
costs as much as the operation itself: an `UpdateItem` returning `ALL_NEW` takes twice as long as
one returning nothing. LocalAws applies DynamoDB requests one at a time, so that cost adds up
across a batch of workers.

Installed by LocalAws: the operations below answer with `json.dumps` of moto's result. Errors, and
every other operation, still go through moto's serializer. `tests/integration/test_moto_item_responses.py`
holds the two answers equal for each operation. Pinned to moto's `BaseResponse.serialized` (5.2).
"""
from __future__ import annotations

import base64
import functools
import json
from typing import Any, Callable

from moto.core.utils import get_service_model
from moto.dynamodb.responses import DynamoHandler

from local import moto_version

ITEM_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems",
})
_INSTALLED_FLAG = "_answers_items_as_json"


def answer_as_json(handler: DynamoHandler, result: dict) -> tuple[int, dict, str]:
    """The result's members of the operation's output (moto adds a few others), as JSON. Raises
    TypeError for a value JSON has no form for, other than bytes (base64, as on the wire)."""
    members = _output_members(handler._get_action())
    answer = {name: value for name, value in result.items() if name in members}
    headers = {"Content-Type": "application/x-amz-json-1.0", **handler.response_headers}
    return 200, headers, json.dumps(answer, separators=(",", ":"), default=_binary)


@functools.cache
def _output_members(operation: str) -> frozenset[str]:
    return frozenset(get_service_model("dynamodb").operation_model(operation).output_shape.members)


def _binary(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} has no JSON form")


def answering_items_as_json(original: Callable[[DynamoHandler, Any], Any]) -> Callable[[DynamoHandler, Any], Any]:
    """`DynamoHandler.serialized`, answering the item operations' results as JSON."""

    @functools.wraps(original)
    def serialized(self: DynamoHandler, action_result: Any) -> Any:
        result = action_result.result
        if not isinstance(result, dict) or self._get_action() not in ITEM_OPERATIONS:
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
