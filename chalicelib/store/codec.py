"""How the gateway's values become DynamoDB attribute values and back: the one codec every store uses.

Items are written from plain dicts (`to_item`; None means "no attribute") and read back as plain
dicts with DynamoDB's Decimals turned into ints (fen, counts). Long JSON (a replayed response, a
webhook body) is stored zlib-compressed (`pack`), which keeps those items under the 1 KB that one
write unit covers.

The attribute-value mapping is boto3's `TypeSerializer`/`TypeDeserializer` rule for rule (numbers
through DynamoDB's 38-digit decimal context, floats refused, binary read back as bytes rather than
boto3's `Binary` wrapper; tests/unit/test_codec.py holds the two equal), written here because
importing anything from boto3 imports all of it, s3transfer included: a third of a function's cold
start for two small classes (see chalicelib/aws.py and bench/cold_start.py).
"""
from __future__ import annotations

import zlib
from collections.abc import Mapping, Set
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

from chalicelib.store.schema import KEY_ATTRIBUTES

#: DynamoDB's numbers: 38 significant digits, exponents -128..126; anything else is refused.
NUMBER_CONTEXT = Context(Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow])


def attribute_value(value: Any) -> dict:
    """One Python value as a DynamoDB attribute value (a TypeError names what cannot be stored)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, Decimal)):
        return {"N": _number(value)}
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (bytes, bytearray)):
        return {"B": bytes(value)}
    if isinstance(value, Set) and value:
        kinds = {_set_kind(member) for member in value}
        if len(kinds) == 1 and None not in kinds:
            kind = kinds.pop()
            return {kind: [_number(member) if kind == "NS" else bytes(member) if kind == "BS" else member
                           for member in value]}
    if isinstance(value, Mapping):
        return {"M": {key: attribute_value(inner) for key, inner in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [attribute_value(inner) for inner in value]}
    raise TypeError(f"cannot store {value!r} (a {type(value).__name__}) in DynamoDB")


def python_value(attribute: Mapping[str, Any]) -> Any:
    """A DynamoDB attribute value as Python: numbers as Decimals, binary as bytes."""
    if len(attribute) != 1:
        raise TypeError(f"not one DynamoDB attribute value: {attribute!r}")
    (kind, value), = attribute.items()
    if kind in ("S", "BOOL"):
        return value
    if kind == "N":
        return NUMBER_CONTEXT.create_decimal(value)
    if kind == "B":
        return bytes(value)
    if kind == "NULL":
        return None
    if kind == "M":
        return {key: python_value(inner) for key, inner in value.items()}
    if kind == "L":
        return [python_value(inner) for inner in value]
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {NUMBER_CONTEXT.create_decimal(member) for member in value}
    if kind == "BS":
        return {bytes(member) for member in value}
    raise TypeError(f"DynamoDB type {kind} is not supported")


def _number(value: int | Decimal) -> str:
    number = str(NUMBER_CONTEXT.create_decimal(value))
    if number in ("Infinity", "NaN"):
        raise TypeError("Infinity and NaN not supported")
    return number


def _set_kind(member: Any) -> str | None:
    if isinstance(member, bool):
        return None
    if isinstance(member, (int, Decimal)):
        return "NS"
    if isinstance(member, str):
        return "SS"
    if isinstance(member, (bytes, bytearray)):
        return "BS"
    return None


def to_item(values: dict) -> dict:
    """Attribute values for an item or an expression's values; entries that are None are left out."""
    return {name: attribute_value(value) for name, value in values.items() if value is not None}


def from_item(item: dict) -> dict:
    """An item's attributes as Python values (numbers stay Decimals; see `data`)."""
    return {name: python_value(value) for name, value in item.items()}


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
    return zlib.decompress(bytes(value)).decode("utf-8")


def identity(item: dict) -> tuple:
    """The table key of an item (or of an entry of a keys-only index), as a hashable tuple."""
    return item["PK"]["S"], item["SK"]["S"]
