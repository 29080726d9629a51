"""Yunda Express (韵达): no interception API of its own is
published; reached through an aggregator that lists it (jumdata)."""
from chalicelib.carriers.declaration import Names, reached_through_aggregators

DECLARATION = reached_through_aggregators(
    "yunda", Names(zh="韵达", en="Yunda Express"), rank=8, list_price=300)
