"""Deppon (Debang) Express (德邦): no interception API of its own is
published; reached through an aggregator that lists it (jumdata)."""
from chalicelib.carriers.declaration import Names, reached_through_aggregators

DECLARATION = reached_through_aggregators(
    "debang", Names(zh="德邦", en="Deppon (Debang) Express"), rank=10, list_price=500)
