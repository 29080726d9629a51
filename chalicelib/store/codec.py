"""How the gateway's values become DynamoDB attribute values and back: the one codec every store uses.

Items are written from plain dicts (`to_item`; None means "no attribute") and read back as plain
dicts with DynamoDB's Decimals turned into ints (fen, counts). Long JSON (a replayed response, a
webhook body) is stored zlib-compressed (`pack`), which keeps those items under the 1 KB that one
write unit covers.
"""
from __future__ import annotations

import zlib
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer

from chalicelib.store.schema import KEY_ATTRIBUTES

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(values: dict) -> dict:
    """Attribute values for an item or an expression's values; entries that are None are left out."""
    return {name: _serializer.serialize(value) for name, value in values.items() if value is not None}


def from_item(item: dict) -> dict:
    """An item's attributes as Python values (numbers stay Decimals; see `data`)."""
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def data(item: dict) -> dict:
    """An item without its key attributes, numbers as ints (or floats where they have a fraction)."""
    return {name: numbers(value) for name, value in from_item(item).items() if name not in KEY_ATTRIBUTES}


def numbers(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: numbers(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [numbers(inner) for inner in value]
    return value


def pack(text: str) -> bytes:
    """Long JSON as stored: zlib-compressed to about half its size."""
    return zlib.compress(text.encode("utf-8"), 9)


def unpack(value: Any) -> str:
    """`pack` backwards; text stored before packing was introduced is returned as it is."""
    if isinstance(value, str):
        return value
    return zlib.decompress(value.value if isinstance(value, Binary) else bytes(value)).decode("utf-8")


def identity(item: dict) -> tuple:
    """The table key of an item (or of an entry of a keys-only index), as a hashable tuple."""
    return item["PK"]["S"], item["SK"]["S"]
