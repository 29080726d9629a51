"""The store's attribute-value codec maps values exactly as boto3's TypeSerializer and
TypeDeserializer do (chalicelib/store/codec.py keeps its own copy so that the functions need not
import boto3)."""
from decimal import Decimal

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.store.codec import attribute_value, from_item, pack, python_value, to_item, unpack

numbers = st.one_of(st.integers(min_value=-10**37, max_value=10**37),
                    st.decimals(allow_nan=False, allow_infinity=False, places=6,
                                min_value=Decimal("-1e20"), max_value=Decimal("1e20")))
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=20), st.binary(max_size=20))
sets = st.one_of(st.frozensets(st.text(max_size=5), min_size=1, max_size=4),
                 st.frozensets(st.integers(min_value=-1000, max_value=1000), min_size=1, max_size=4),
                 st.frozensets(st.binary(min_size=1, max_size=5), min_size=1, max_size=4))
values = st.recursive(st.one_of(scalars, sets), lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


def boto3_shape(attribute):
    """boto3's answer with its Binary wrapper unwrapped and sets' members in a comparable order."""
    if isinstance(attribute, Binary):
        return attribute.value
    if isinstance(attribute, dict):
        return {key: (sorted(boto3_shape(member) for member in inner) if key in ("SS", "NS", "BS")
                      else boto3_shape(inner)) for key, inner in attribute.items()}
    if isinstance(attribute, list):
        return [boto3_shape(inner) for inner in attribute]
    return attribute


def ours_shape(attribute):
    if isinstance(attribute, dict):
        return {key: (sorted(inner) if key in ("SS", "NS", "BS") else ours_shape(inner))
                for key, inner in attribute.items()}
    if isinstance(attribute, list):
        return [ours_shape(inner) for inner in attribute]
    return attribute


@given(values)
def test_values_are_written_as_boto3_writes_them(value):
    assert ours_shape(attribute_value(value)) == boto3_shape(TypeSerializer().serialize(value))


@given(values)
def test_what_boto3_writes_reads_back_as_boto3_reads_it(value):
    written = TypeSerializer().serialize(value)
    expected = TypeDeserializer().deserialize(written)
    assert python_value(written) == unwrap(expected)


def unwrap(value):
    if isinstance(value, Binary):
        return value.value
    if isinstance(value, dict):
        return {key: unwrap(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [unwrap(inner) for inner in value]
    if isinstance(value, (set, frozenset)):
        return {unwrap(inner) for inner in value}
    return value


@pytest.mark.parametrize("value, problem", [
    (1.5, "Float types are not supported"),
    (Decimal("Infinity"), "Infinity and NaN"),
    (object(), "cannot store"),
    ({1, "a"}, "cannot store"),
])
def test_what_dynamodb_cannot_hold_is_refused_by_name(value, problem):
    with pytest.raises(TypeError, match=problem):
        attribute_value(value)
    with pytest.raises(TypeError):
        TypeSerializer().serialize(value)


def test_numbers_beyond_38_digits_are_refused_not_rounded():
    from decimal import Inexact

    with pytest.raises(Inexact):
        attribute_value(Decimal("1." + "1" * 40))


def test_an_item_round_trips_and_none_means_no_attribute():
    item = to_item({"PK": "P#1", "fee": 800, "note": None, "body": pack("{}"), "tags": ["a", {"b": True}]})
    assert "note" not in item
    assert from_item(item) == {"PK": "P#1", "fee": Decimal(800), "body": pack("{}"), "tags": ["a", {"b": True}]}
    assert unpack(from_item(item)["body"]) == "{}"
