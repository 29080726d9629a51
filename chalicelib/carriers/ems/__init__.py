"""China Post EMS (中国邮政 EMS): no interception API of its own is
published; reached through an aggregator that lists it (jumdata)."""
from chalicelib.carriers.declaration import Names, reached_through_aggregators

DECLARATION = reached_through_aggregators(
    "ems", Names(zh="中国邮政 EMS", en="China Post EMS"), rank=9, list_price=500)
